#!/usr/bin/env node
// `npm test`: every *.test.ts under the project's folders, on Node's test runner with tsx.
// Each file runs in its own process (chdb allows one engine directory per process).
// Pass paths or folders to run a subset: npm test -- sql ingest/test/config.test.ts
import { spawnSync } from "node:child_process";
import { findFiles, repoRoot } from "./find-files.mjs";

const roots = process.argv.slice(2);
const searchIn = roots.length > 0 ? roots : ["sql", "ingest", "grafana", "superset", "infra", "scripts"];
const files = findFiles(searchIn, ".test.ts");
if (files.length === 0) {
  console.error(`No *.test.ts files under ${searchIn.join(", ")}`);
  process.exit(1);
}
console.log(`Running ${files.length} test files`);
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { cwd: repoRoot, stdio: "inherit", env: process.env },
);
process.exit(result.status ?? 1);
