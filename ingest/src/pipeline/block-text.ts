// A block's rows as they travel from the spool to a sink: per table, the lines in the form they
// are sent in (tickers and trades as TabSeparated lines, the others as JSON).

export type TableKey = "ticker" | "trade" | "dead" | "gap" | "backfill";
/**
 * Tables in the order a block commits them: a backfill state row ("filled") comes after the
 * trades it counts, so a crash between the two never shows a gap filled without its trades.
 */
export const TABLE_KEYS: readonly TableKey[] = ["ticker", "trade", "dead", "gap", "backfill"];

export type BlockLines = Record<TableKey, string[]>;

/**
 * Rows of one table as the text sent to ClickHouse: chunks of whole lines, each line ending in
 * "\n". A block holds a few dozen chunks instead of tens of thousands of row strings, which keeps
 * the garbage collector's work small at 100k rows a second.
 */
export interface RowText {
  readonly chunks: string[];
  rows: number;
}
export type BlockText = Record<TableKey, RowText>;

export function emptyBlockText(): BlockText {
  return { ticker: noRows(), trade: noRows(), dead: noRows(), gap: noRows(), backfill: noRows() };
}

function noRows(): RowText {
  return { chunks: [], rows: 0 };
}

export function emptyBlockLines(): BlockLines {
  return { ticker: [], trade: [], dead: [], gap: [], backfill: [] };
}

/** Rows of all tables. */
export function rowCount(lines: BlockLines): number {
  let n = 0;
  for (const key of TABLE_KEYS) n += lines[key].length;
  return n;
}

/** Lines as one chunk of text. */
export function rowText(lines: readonly string[]): RowText {
  return lines.length === 0 ? { chunks: [], rows: 0 } : { chunks: [lines.join("\n") + "\n"], rows: lines.length };
}

/** A block's lines as text (e.g. rows read back from disk). */
export function blockTextOf(lines: BlockLines): BlockText {
  return { ticker: rowText(lines.ticker), trade: rowText(lines.trade), dead: rowText(lines.dead), gap: rowText(lines.gap), backfill: rowText(lines.backfill) };
}

/** The lines of a table's text (the rare path: ClickHouse refused a batch and it is bisected). */
export function linesOf(text: RowText): string[] {
  const lines = text.chunks.join("").split("\n");
  lines.pop(); // the text ends with "\n"
  return lines;
}
