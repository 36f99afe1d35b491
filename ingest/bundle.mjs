#!/usr/bin/env node
// Bundles the ingester (and the one ClickHouse client factory it shares with sql/) into one
// CommonJS file for the container image: node ingest/bundle.mjs [outfile]
// chdb (the embedded engine, ~540 MB) stays out: the image talks to a ClickHouse server over
// HTTP, and asking for `sink.type: embedded` there fails with a message that says so.
// ws's optional native speed-ups are left out too; ws falls back to plain JavaScript.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export const EXTERNAL = ["chdb", "chdb/*", "@chdb/*", "bufferutil", "utf-8-validate"];

export async function bundle(outfile = join(here, "dist", "ingest.js")) {
  const result = await build({
    entryPoints: [join(here, "src", "cli.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: EXTERNAL,
    sourcemap: false,
    minify: false,
    metafile: true,
    logLevel: "warning",
    legalComments: "eof",
  });
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const metafile = await bundle(process.argv[2]);
  const [out, info] = Object.entries(metafile.outputs)[0];
  console.log(`${out}: ${(info.bytes / 1024).toFixed(0)} KiB from ${Object.keys(metafile.inputs).length} files`);
}
