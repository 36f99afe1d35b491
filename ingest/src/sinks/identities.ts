// The last line of dedup: before a block's tickers or trades are inserted, the ones whose identity
// — (product_id, sequence) for a ticker, (product_id, trade_id) for a trade — is already in the
// table are left out, as are repeats inside the block. The pipeline's in-memory window catches
// the usual duplicates before they reach the spool; this catches everything it cannot remember
// (older than the window, stored by an earlier run, waiting in the spool across a restart), so a
// row is inserted once and the materialized views built on the tables count it once.
//
// The table is only asked about what it could hold: the sink knows each product's highest stored
// id (read at start, raised by every insert), and a product whose ids in the block are all above
// it needs no lookup — the live feed's usual case. The rest are asked in one request per table
// (a few thousand ids per SELECT, the SELECTs joined by UNION ALL).
import { createHash } from "node:crypto";
import { linesOf, rowText, type RowText } from "../pipeline/block-text";
import { isProductId } from "../pipeline/fields";

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
  /** The highest id per product among the rows kept. */
  readonly highest: Map<string, number>;
}

/** Identities per SELECT: 4,000 ids of ≤ 20 digits stay far below ClickHouse's 256 KiB max_query_size. */
const IDS_PER_QUERY = 4_000;

interface ProductRows {
  ids: number[];
  minTime: string;
  maxTime: string;
}

export interface Lookup {
  readonly key: IdentityKey;
  readonly table: string;
  /** Highest stored id per product, when known (a product missing from a known map has no rows); undefined: ask about every row. */
  readonly stored: ReadonlyMap<string, number> | undefined;
  readonly query: (sql: string) => Promise<Array<{ product_id: string; id: string | number }>>;
}

export async function withoutStored(text: RowText, lookup: Lookup): Promise<Fresh> {
  const lines = linesOf(text);
  const identities = lines.map(identityOf);
  const found = new Map<string, Set<number>>();
  for (const sql of lookups(lookup, byProduct(identities))) {
    for (const row of await lookup.query(sql)) {
      let ids = found.get(row.product_id);
      if (!ids) found.set(row.product_id, (ids = new Set()));
      ids.add(Number(row.id));
    }
  }
  const kept: string[] = [];
  const highest = new Map<string, number>();
  lines.forEach((line, i) => {
    const identity = identities[i];
    if (!identity) {
      kept.push(line); // ClickHouse refuses it, and it is dead-lettered
      return;
    }
    const { product, id } = identity;
    let seen = found.get(product);
    if (!seen) found.set(product, (seen = new Set()));
    if (seen.has(id)) return;
    seen.add(id); // a repeat later in the block is left out too
    kept.push(line);
    if (id > (highest.get(product) ?? -1)) highest.set(product, id);
  });
  if (kept.length === lines.length) return { text, skipped: 0, digest: "", highest };
  return { text: rowText(kept), skipped: lines.length - kept.length, digest: createHash("sha256").update(kept.join("\n")).digest("hex").slice(0, 16), highest };
}

interface Identity {
  readonly time: string;
  readonly product: string;
  readonly id: number;
}

function byProduct(identities: ReadonlyArray<Identity | undefined>): Map<string, ProductRows> {
  const products = new Map<string, ProductRows>();
  for (const identity of identities) {
    if (!identity) continue;
    const { time, product, id } = identity;
    const rows = products.get(product);
    if (!rows) products.set(product, { ids: [id], minTime: time, maxTime: time });
    else {
      rows.ids.push(id);
      if (time < rows.minTime) rows.minTime = time;
      if (time > rows.maxTime) rows.maxTime = time;
    }
  }
  return products;
}

const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;

/**
 * time, product_id and the identity lead every ticker and trade line (sql/src/rows.ts). A line
 * read back from the spool is only shape-checked, so its values go into SQL only when they are
 * what the decoder writes: undefined otherwise.
 */
function identityOf(line: string): Identity | undefined {
  const a = line.indexOf("\t");
  const b = line.indexOf("\t", a + 1);
  const c = line.indexOf("\t", b + 1);
  const time = line.slice(0, a);
  const product = line.slice(a + 1, b);
  const id = Number(line.slice(b + 1, c));
  return Number.isSafeInteger(id) && id >= 0 && isProductId(product) && TIME.test(time) ? { time, product, id } : undefined;
}

/**
 * The lookups: per product whose block ids are not all above its highest stored id, SELECTs of a
 * few thousand ids each, joined by UNION ALL up to IDS_PER_QUERY ids per request. Every value in
 * them passed identityOf's checks (a product id is [A-Z0-9-], a time digits and separators, an id a
 * whole number), so they are written into the SQL as they are.
 */
function lookups({ key, table, stored }: Lookup, products: Map<string, ProductRows>): string[] {
  const selects: Array<{ sql: string; ids: number }> = [];
  for (const [product, rows] of products) {
    if (stored && rows.ids.every((id) => id > (stored.get(product) ?? -1))) continue;
    const time = key.timeBounded ? ` AND time >= '${rows.minTime}' AND time <= '${rows.maxTime}'` : "";
    for (let i = 0; i < rows.ids.length; i += IDS_PER_QUERY) {
      const ids = rows.ids.slice(i, i + IDS_PER_QUERY);
      selects.push({ sql: `SELECT product_id, ${key.column} AS id FROM ${table} WHERE product_id = '${product}'${time} AND ${key.column} IN (${ids.join(",")})`, ids: ids.length });
    }
  }
  const queries: string[] = [];
  let batch: string[] = [];
  let ids = 0;
  for (const select of selects) {
    if (batch.length > 0 && ids + select.ids > IDS_PER_QUERY) {
      queries.push(batch.join(" UNION ALL "));
      batch = [];
      ids = 0;
    }
    batch.push(select.sql);
    ids += select.ids;
  }
  if (batch.length > 0) queries.push(batch.join(" UNION ALL "));
  return queries;
}
