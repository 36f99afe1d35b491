// The layout's rules, checked on every run (issue 16): imports point one way — between the top
// folders, between ingest/src's sub-folders, and between any two files — and no function of the
// production code is longer than a reader can hold (MAX_FUNCTION_LINES). Reads the sources with
// the TypeScript compiler's parser, the way tsc sees them.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";

const REPO = resolve(__dirname, "..");
const FOLDERS = ["infra", "ingest", "sql", "grafana", "superset", "scripts"];
/** Production code: what runs in a deployment or in the ingester (tests, testing helpers and benchmarks excluded). */
const PRODUCTION = /^(infra\/(?!test\/)|ingest\/src\/|sql\/src\/|grafana\/src\/|superset\/src\/)/;
export const MAX_FUNCTION_LINES = 80;

interface SourceFile {
  readonly path: string;
  readonly ast: ts.SourceFile;
}

function sources(): SourceFile[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of ts.sys.readDirectory(join(REPO, dir), [".ts"], ["**/node_modules/**", "**/.cache/**"], ["**/*.ts"])) files.push(relative(REPO, entry));
  };
  FOLDERS.forEach(walk);
  return [...new Set(files)].sort().map((path) => ({ path, ast: ts.createSourceFile(path, readFileSync(join(REPO, path), "utf8"), ts.ScriptTarget.ES2022, true) }));
}

/** Repo-relative files a source imports (static, dynamic and require), relative specifiers only. */
function importsOf(file: SourceFile): string[] {
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0]!)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) specifiers.push((node.arguments[0] as ts.StringLiteral).text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => resolve(REPO, dirname(file.path), s))
    .map((p) => [p, `${p}.ts`, join(p, "index.ts")].find((c) => existsSync(c) && c.endsWith(".ts")))
    .filter((p): p is string => p !== undefined)
    .map((p) => relative(REPO, p));
}

/** Pairs of groups that import each other, with one example import each way. */
function cyclesBetween(edges: Map<string, string[]>, groupOf: (path: string) => string | undefined): string[] {
  const between = new Map<string, string>();
  for (const [from, targets] of edges) {
    for (const to of targets) {
      const a = groupOf(from);
      const b = groupOf(to);
      if (a && b && a !== b && !between.has(`${a} -> ${b}`)) between.set(`${a} -> ${b}`, `${from} imports ${to}`);
    }
  }
  const cycles: string[] = [];
  for (const [pair, example] of between) {
    const [a, b] = pair.split(" -> ");
    if (a! < b! && between.has(`${b} -> ${a}`)) cycles.push(`${a} <-> ${b}: ${example}; ${between.get(`${b} -> ${a}`)}`);
  }
  return cycles;
}

/** Strongly connected sets of more than one file (Tarjan). */
function fileCycles(edges: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) connect(v);
  return found;
}

/** Functions, methods, constructors and arrow functions of a file, with their length in lines. */
function functionLengths(file: SourceFile): Array<{ where: string; lines: number }> {
  const out: Array<{ where: string; lines: number }> = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = file.ast.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = file.ast.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = (node as { name?: ts.Node }).name?.getText() ?? (ts.isConstructorDeclaration(node) ? "constructor" : "(anonymous)");
      out.push({ where: `${file.path}:${start + 1} ${name}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return out;
}

const files = sources();
const edges = new Map(files.map((f) => [f.path, importsOf(f)]));

describe("the layout's rules", () => {
  test("the reader sees the imports (a check that can fail)", () => {
    assert.ok(files.length > 100, `only ${files.length} sources found`);
    assert.ok((edges.get("infra/program.ts") ?? []).some((p) => p.startsWith("sql/src/")), "infra/program.ts imports sql/src");
    assert.deepEqual(cyclesBetween(new Map([["a/x.ts", ["b/y.ts"]], ["b/y.ts", ["a/z.ts"]]]), (p) => p.split("/")[0]), ["a <-> b: a/x.ts imports b/y.ts; b/y.ts imports a/z.ts"]);
    assert.deepEqual(fileCycles(new Map([["x", ["y"]], ["y", ["x"]], ["z", ["x"]]])), [["x", "y"]]);
  });

  test("no two top folders import each other", () => {
    assert.deepEqual(cyclesBetween(edges, (p) => p.split("/")[0]), []);
  });

  test("no two sub-folders of ingest/src import each other", () => {
    const groupOf = (p: string) => (p.startsWith("ingest/src/") ? (p.split("/").length > 3 ? p.split("/")[2] : "(top)") : undefined);
    assert.deepEqual(cyclesBetween(edges, groupOf), []);
  });

  test("no import cycle between files", () => {
    assert.deepEqual(fileCycles(edges), []);
  });

  test(`no function of the production code is over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files
      .filter((f) => PRODUCTION.test(f.path) && !f.path.endsWith(".test.ts"))
      .flatMap(functionLengths)
      .filter((f) => f.lines > MAX_FUNCTION_LINES)
      .map((f) => `${f.where}: ${f.lines} lines`);
    assert.deepEqual(long, []);
  });
});
