// The named queries in sql/queries: one file per question, read by Grafana, Superset and tests.
//
// Parameter convention (docs/queries.md): ClickHouse's own query-parameter syntax,
//   {from:DateTime}  {to:DateTime}  {products:Array(String)}   (empty array = every product)
// so a file runs as-is through @clickhouse/client `query_params`; Grafana and Superset get the
// same text with each placeholder swapped for their macro (renderQuery below).
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const QUERIES_DIR = resolve(__dirname, "..", "queries");

/** Every parameter a query may use, with the one ClickHouse type it is always written with. */
export const QUERY_PARAMS = {
  from: "DateTime",
  to: "DateTime",
  products: "Array(String)",
} as const;
export type QueryParamName = keyof typeof QUERY_PARAMS;

export interface QueryColumn {
  readonly name: string;
  readonly type: string;
}

export interface NamedQuery {
  readonly name: string;
  readonly description: string;
  readonly file: string;
  /** The SQL body (header comments removed), placeholders in place. */
  readonly sql: string;
  readonly params: readonly QueryParamName[];
  /** The columns and ClickHouse types the query returns, as declared in its header. */
  readonly columns: readonly QueryColumn[];
}

const PLACEHOLDER = /\{([a-z_]+):([^}]+)\}/g;

export function loadQueries(dir: string = QUERIES_DIR): Map<string, NamedQuery> {
  const queries = new Map<string, NamedQuery>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    const query = parseQueryFile(join(dir, file), readFileSync(join(dir, file), "utf8"));
    if (`${query.name}.sql` !== file) throw new Error(`${join(dir, file)} declares name "${query.name}": the name must match the file name`);
    queries.set(query.name, query);
  }
  return queries;
}

export function loadQuery(name: string, dir: string = QUERIES_DIR): NamedQuery {
  const query = loadQueries(dir).get(name);
  if (!query) throw new Error(`No query named "${name}" in ${dir}: add ${name}.sql there`);
  return query;
}

export function parseQueryFile(file: string, text: string): NamedQuery {
  const header = new Map<string, string>();
  const body: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^--\s*(name|description|params|columns):\s*(.*)$/.exec(line);
    if (m && body.length === 0) header.set(m[1]!, m[2]!.trim());
    else body.push(line);
  }
  const name = header.get("name");
  const description = header.get("description");
  if (!name || !description) throw new Error(`${file}: the header needs "-- name:" and "-- description:" lines`);
  if (!header.has("params") || !header.has("columns")) throw new Error(`${file}: the header needs "-- params:" and "-- columns:" lines (params may be empty)`);

  const declared = parseList(header.get("params")!).map(([pname, ptype]) => {
    if (!(pname in QUERY_PARAMS)) throw new Error(`${file}: unknown parameter "${pname}": use one of ${Object.keys(QUERY_PARAMS).join(", ")}`);
    const expected = QUERY_PARAMS[pname as QueryParamName];
    if (ptype !== expected) throw new Error(`${file}: parameter ${pname} is declared ${ptype}: it is always ${expected}`);
    return pname as QueryParamName;
  });
  const sql = body.join("\n").trim();
  const used = new Set<string>();
  for (const m of sql.matchAll(PLACEHOLDER)) {
    const [, pname, ptype] = m;
    if (!declared.includes(pname as QueryParamName)) throw new Error(`${file}: uses {${pname}:${ptype}} but "-- params:" does not declare it`);
    if (ptype !== QUERY_PARAMS[pname as QueryParamName]) throw new Error(`${file}: writes {${pname}:${ptype}}: write {${pname}:${QUERY_PARAMS[pname as QueryParamName]}}`);
    used.add(pname!);
  }
  for (const p of declared) if (!used.has(p)) throw new Error(`${file}: declares parameter ${p} but never uses it`);
  const columns = parseList(header.get("columns")!).map(([cname, ctype]) => ({ name: cname, type: ctype }));
  if (columns.length === 0) throw new Error(`${file}: "-- columns:" lists no column`);
  return { name, description, file, sql, params: declared, columns };
}

/** "a DateTime, b Array(String), c DateTime64(6, 'UTC')" → [[a, DateTime], …] (commas inside parentheses kept). */
function parseList(text: string): Array<[string, string]> {
  const items: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth += 1;
    if (ch === ")") depth -= 1;
    if (ch === "," && depth === 0) {
      items.push(current);
      current = "";
    } else current += ch;
  }
  items.push(current);
  return items
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((item) => {
      const space = item.indexOf(" ");
      if (space === -1) throw new Error(`"${item}" is not "<name> <Type>"`);
      return [item.slice(0, space), item.slice(space + 1).trim()];
    });
}

/**
 * The query's SQL with each `{param:Type}` replaced by what `replacements` gives for that
 * parameter: how Grafana (macros) and Superset (Jinja) fill the same file. Throws when a
 * parameter the query uses has no replacement.
 */
export function renderQuery(query: NamedQuery, replacements: Partial<Record<QueryParamName, string>>): string {
  return query.sql.replace(PLACEHOLDER, (_all, pname: string) => {
    const value = replacements[pname as QueryParamName];
    if (value === undefined) throw new Error(`Query ${query.name} uses {${pname}} and no replacement was given for it`);
    return value;
  });
}
