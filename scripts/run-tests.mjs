#!/usr/bin/env node
// `npm test`: every *.test.ts under the project's folders, on Node's test runner with tsx.
// Each file runs in its own process (chdb allows one engine directory per process).
// Pass paths or folders to run a subset: npm test -- sql ingest/test/config.test.ts
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const roots = process.argv.slice(2);
const searchIn = roots.length > 0 ? roots : ["sql", "ingest", "grafana", "superset", "infra", "scripts"];

function collect(path, out) {
  const full = join(root, path);
  let st;
  try {
    st = statSync(full);
  } catch {
    return;
  }
  if (st.isFile()) {
    if (full.endsWith(".test.ts")) out.push(relative(root, full));
    return;
  }
  for (const entry of readdirSync(full)) {
    if (entry === "node_modules" || entry.startsWith(".") || entry === "dist") continue;
    collect(join(path, entry), out);
  }
}

const files = [];
for (const p of searchIn) collect(p, files);
files.sort();
if (files.length === 0) {
  console.error(`No *.test.ts files under ${searchIn.join(", ")}`);
  process.exit(1);
}
console.log(`Running ${files.length} test files`);
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { cwd: root, stdio: "inherit", env: process.env },
);
process.exit(result.status ?? 1);
