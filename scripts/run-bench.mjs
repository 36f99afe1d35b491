#!/usr/bin/env node
// `npm run bench`: every *.bench.ts under sql/ and ingest/ (or the folders given), one after
// another so they do not compete for the machine's cores. Prints each benchmark's table.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const roots = process.argv.slice(2);
const searchIn = roots.length > 0 ? roots : ["sql", "ingest"];

function collect(path, out) {
  const full = join(root, path);
  let st;
  try {
    st = statSync(full);
  } catch {
    return;
  }
  if (st.isFile()) {
    if (full.endsWith(".bench.ts")) out.push(relative(root, full));
    return;
  }
  for (const entry of readdirSync(full)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    collect(join(path, entry), out);
  }
}

const files = [];
for (const p of searchIn) collect(p, files);
files.sort();
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", file], { cwd: root, stdio: "inherit", env: process.env });
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
