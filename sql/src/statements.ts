// ClickHouse runs one statement per request, so migration files are split on top-level `;`.

/**
 * Splits SQL text into statements on `;` outside string literals, quoted identifiers and comments.
 * Comment-only fragments and leading line comments are dropped; each statement is returned
 * trimmed, without its `;`.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      current += sql.slice(i, stop);
      i = stop;
    } else if (ch === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end === -1) throw new Error(`Unterminated /* comment starting at offset ${i}`);
      current += sql.slice(i, end + 2);
      i = end + 2;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      const end = findClosingQuote(sql, i, ch);
      current += sql.slice(i, end + 1);
      i = end + 1;
    } else if (ch === ";") {
      pushStatement(statements, current);
      current = "";
      i += 1;
    } else {
      current += ch;
      i += 1;
    }
  }
  pushStatement(statements, current);
  return statements;
}

function findClosingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        i += 2; // doubled quote is an escaped quote
        continue;
      }
      return i;
    }
    i += 1;
  }
  throw new Error(`Unterminated ${quote} quote starting at offset ${start}`);
}

function pushStatement(statements: string[], text: string): void {
  // Leading line comments describe the statement in the file; they are not part of it.
  const trimmed = text.trim().replace(/^(--[^\n]*(\n\s*|$))+/, "").trim();
  if (trimmed.length === 0) return;
  if (stripComments(trimmed).trim().length === 0) return;
  statements.push(trimmed);
}

/** Removes line and block comments without regard to quotes: only used to spot comment-only fragments. */
export function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
}
