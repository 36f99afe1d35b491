// A block's rows as they travel from the spool to a sink: per table, the lines in the form they
// are sent in (a ticker as its TabSeparated line, the others as JSON).

export type TableKey = "ticker" | "dead" | "gap";
export const TABLE_KEYS: readonly TableKey[] = ["ticker", "dead", "gap"];

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
  return { ticker: { chunks: [], rows: 0 }, dead: { chunks: [], rows: 0 }, gap: { chunks: [], rows: 0 } };
}

/** Lines as one chunk of text. */
export function rowText(lines: readonly string[]): RowText {
  return lines.length === 0 ? { chunks: [], rows: 0 } : { chunks: [lines.join("\n") + "\n"], rows: lines.length };
}

/** A block's lines as text (e.g. rows read back from disk). */
export function blockTextOf(lines: BlockLines): BlockText {
  return { ticker: rowText(lines.ticker), dead: rowText(lines.dead), gap: rowText(lines.gap) };
}

/** The lines of a table's text (the rare path: ClickHouse refused a batch and it is bisected). */
export function linesOf(text: RowText): string[] {
  const lines = text.chunks.join("").split("\n");
  lines.pop(); // the text ends with "\n"
  return lines;
}
