// Issue 13, item 5: logs are one JSON object per line. @clickhouse/client's own logging (by
// default ~17 lines with a stack trace on stderr per failed request) goes through the ingester's
// logger instead: one JSON line per event with the cause (message, code), no stack.
// ClickHouse here is a tiny HTTP server on 127.0.0.1 that has the tables but refuses every insert
// with a ClickHouse-style 500, as a server out of memory does.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "./helpers";
import { REPO } from "./process";

const REFUSAL = "Code: 241. DB::Exception: Memory limit (total) exceeded: would use 9.31 GiB (attempt to allocate chunk of 4.00 MiB), maximum: 9.30 GiB. (MEMORY_LIMIT_EXCEEDED) (version 25.8.1.1)\n";

interface RefusingClickHouse {
  readonly port: number;
  refused: number;
  close(): Promise<void>;
}

/** Answers the ingester's start checks (EXISTS TABLE: yes; newest tickers: none) and refuses every INSERT. */
async function refusingClickHouse(): Promise<RefusingClickHouse> {
  const state = { refused: 0 };
  const server: Server = createServer((req, res) => {
    const query = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const sql = `${query} ${body}`;
      if (/^\s*INSERT/i.test(query) || /^\s*INSERT/i.test(body)) {
        state.refused++;
        res.writeHead(500, { "Content-Type": "text/plain; charset=UTF-8", "X-ClickHouse-Exception-Code": "241" });
        res.end(REFUSAL);
      } else if (/EXISTS TABLE/i.test(sql)) {
        res.writeHead(200, { "Content-Type": "application/x-ndjson" });
        res.end('{"result":1}\n');
      } else {
        res.writeHead(200, { "Content-Type": "application/x-ndjson" });
        res.end("");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const STACK_FRAME = /^\s+at\s|\bat .+:\d+:\d+\)?$/;

test("failing inserts: every line the CLI prints is one JSON object, the client library's events included, with the cause and no stack", async () => {
  const clickhouse = await refusingClickHouse();
  const dir = tempDir("ch-logs");
  const configPath = join(dir, "config.yaml");
  writeFileSync(
    configPath,
    [
      "source: { type: synthetic, rate: 200, products: [BTC-USD] }",
      `sink: { type: clickhouse_connect, host: 127.0.0.1, port: ${clickhouse.port}, retry: { initial_ms: 20, max_ms: 100 }, request_timeout_ms: 5000 }`,
      `spool: { dir: ${JSON.stringify(join(dir, "spool"))} }`,
      "batch: { max_rows: 1000, max_interval_ms: 100 }",
      "metrics: { port: 0, host: 127.0.0.1 }",
      "stats: { interval_ms: 500 }",
      "shutdown_timeout_ms: 1000",
      "",
    ].join("\n"),
  );
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "ingest", "src", "cli.ts"), "--config", configPath], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  try {
    const until = Date.now() + 40_000;
    while (clickhouse.refused < 20 && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    assert.ok(clickhouse.refused >= 20, `ClickHouse refused ${clickhouse.refused} inserts; stderr: ${stderr.slice(0, 1000)}`);
    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr.slice(0, 2000));
  } finally {
    clearTimeout(guard);
    child.kill("SIGKILL");
    await clickhouse.close();
  }

  for (const [stream, text] of [["stderr", stderr], ["stdout", stdout]] as const) {
    for (const line of text.split("\n").filter((l) => l !== "")) {
      assert.doesNotMatch(line, STACK_FRAME, `${stream} has a stack frame: ${line}`);
      assert.doesNotThrow(() => JSON.parse(line), `${stream} line is not JSON: ${line}`);
    }
  }
  const logs = stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
  const library = logs.filter((l) => String(l.msg).startsWith("ClickHouse client:"));
  assert.ok(library.length > 0 && library.every((l) => l.level === "warn"), `the client library's request errors reach the log: ${stdout.slice(-1500)}`);
  for (const event of library) {
    assert.match(String(event.error), /^Memory limit \(total\) exceeded/, JSON.stringify(event));
    assert.equal(event.type, "MEMORY_LIMIT_EXCEEDED", JSON.stringify(event));
    assert.equal(event.code, "241", JSON.stringify(event));
    assert.equal(event.stack, undefined);
    assert.doesNotMatch(JSON.stringify(event), /\\n\s+at /, "no stack inside a field either");
  }
  // One line per event: never more library lines than requests ClickHouse refused.
  assert.ok(library.length <= clickhouse.refused, `${library.length} library lines for ${clickhouse.refused} refused requests`);
  assert.ok(logs.some((l) => l.msg === "stopped"), "the summary line");
});
