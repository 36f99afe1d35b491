#!/usr/bin/env node
// `npm run bench`: every *.bench.ts under sql/ and ingest/ (or the folders given), one after
// another so they do not compete for the machine's cores. Prints each benchmark's table.
// npm run bench -- ingest --quick
// npm run bench -- ingest --phase parse
import { spawnSync } from "node:child_process";
import { findFiles, repoRoot } from "./find-files.mjs";

// Folders or files select benchmarks; from the first flag on, everything (e.g. --quick,
// --phase parse) is passed on to each of them.
const args = process.argv.slice(2);
const firstFlag = args.findIndex((a) => a.startsWith("--"));
const roots = firstFlag < 0 ? args : args.slice(0, firstFlag);
const flags = firstFlag < 0 ? [] : args.slice(firstFlag);
const files = findFiles(roots.length > 0 ? roots : ["sql", "ingest"], ".bench.ts");
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", file, ...flags], { cwd: repoRoot, stdio: "inherit", env: process.env });
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
