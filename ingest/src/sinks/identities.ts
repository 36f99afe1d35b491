// The last line of dedup: before a block's tickers or trades are inserted, the ones whose identity
// — (product_id, sequence) for a ticker, (product_id, trade_id) for a trade — is already in the
// table are left out, as are repeats inside the block. The pipeline's in-memory window catches
// the usual duplicates before they reach the spool; this catches everything it cannot remember
// (older than the window, stored by an earlier run, waiting in the spool across a restart), so a
// row is inserted once and the materialized views built on the tables count it once.
import { createHash } from "node:crypto";
import { linesOf, rowText, type RowText } from "../pipeline/block-text";

export interface IdentityKey {
  /** The column that, with product_id, identifies a row. */
  readonly column: "sequence" | "trade_id";
  /**
   * Look up within the block's time range too: the ticker table is ordered by (product_id, time,
   * sequence), so without it the lookup would read every row of the product.
   */
  readonly timeBounded: boolean;
}

export interface Fresh {
  /** The rows to insert: the same object as given when nothing was left out. */
  readonly text: RowText;
  /** Rows left out (stored already, or repeated in the block). */
  readonly skipped: number;
  /** A digest of the rows kept (part of their insert token), when some were left out. */
  readonly digest: string;
}

/** Identities per query: 4,000 ids of ≤ 20 digits stay far below ClickHouse's 256 KiB max_query_size. */
const IDS_PER_QUERY = 4_000;

interface ProductRows {
  ids: number[];
  minTime: string;
  maxTime: string;
}

export async function withoutStored(
  key: IdentityKey,
  text: RowText,
  table: string,
  query: (sql: string) => Promise<Array<{ product_id: string; id: string | number }>>,
): Promise<Fresh> {
  const lines = linesOf(text);
  const products = new Map<string, ProductRows>();
  for (const line of lines) {
    const { time, product, id } = identityOf(line);
    if (!looksValid(time, product, id)) continue; // ClickHouse refuses it, and it is dead-lettered
    const rows = products.get(product);
    if (!rows) products.set(product, { ids: [id], minTime: time, maxTime: time });
    else {
      rows.ids.push(id);
      if (time < rows.minTime) rows.minTime = time;
      if (time > rows.maxTime) rows.maxTime = time;
    }
  }
  const stored = new Map<string, Set<number>>();
  for (const sql of lookups(key, table, products)) {
    for (const row of await query(sql)) {
      let ids = stored.get(row.product_id);
      if (!ids) stored.set(row.product_id, (ids = new Set()));
      ids.add(Number(row.id));
    }
  }
  const kept: string[] = [];
  for (const line of lines) {
    const { time, product, id } = identityOf(line);
    if (!looksValid(time, product, id)) {
      kept.push(line);
      continue;
    }
    let seen = stored.get(product);
    if (!seen) stored.set(product, (seen = new Set()));
    if (seen.has(id)) continue;
    seen.add(id); // a repeat later in the block is left out too
    kept.push(line);
  }
  if (kept.length === lines.length) return { text, skipped: 0, digest: "" };
  return { text: rowText(kept), skipped: lines.length - kept.length, digest: createHash("sha256").update(kept.join("\n")).digest("hex").slice(0, 16) };
}

/** time, product_id and the identity lead every ticker and trade line (sql/src/rows.ts). */
function identityOf(line: string): { time: string; product: string; id: number } {
  const a = line.indexOf("\t");
  const b = line.indexOf("\t", a + 1);
  const c = line.indexOf("\t", b + 1);
  return { time: line.slice(0, a), product: line.slice(a + 1, b), id: Number(line.slice(b + 1, c)) };
}

const PRODUCT = /^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/;
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;

/** A line read back from the spool is only shape-checked: its values go into SQL only when they are what the decoder writes. */
function looksValid(time: string, product: string, id: number): boolean {
  return Number.isSafeInteger(id) && id >= 0 && PRODUCT.test(product) && TIME.test(time);
}

/**
 * The lookups, a few thousand identities each. Every value in them was checked by the decoder or
 * the spool (a product id is [A-Z0-9-], a time digits and separators, an id a whole number), so
 * they are written into the SQL as they are.
 */
function lookups(key: IdentityKey, table: string, products: Map<string, ProductRows>): string[] {
  const queries: string[] = [];
  for (const [product, rows] of products) {
    const time = key.timeBounded ? ` AND time >= '${rows.minTime}' AND time <= '${rows.maxTime}'` : "";
    for (let i = 0; i < rows.ids.length; i += IDS_PER_QUERY) {
      const ids = rows.ids.slice(i, i + IDS_PER_QUERY).join(",");
      queries.push(`SELECT product_id, ${key.column} AS id FROM ${table} WHERE product_id = '${product}'${time} AND ${key.column} IN (${ids})`);
    }
  }
  return queries;
}
