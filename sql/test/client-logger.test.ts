// Issue 13, item 5: @clickhouse/client's own logging goes through a logger openClickHouse is
// given (or the process default): one line per event with the cause (message, code), never the
// library's multi-line output with a stack trace. Against a tiny HTTP server on 127.0.0.1 that
// answers every request with a ClickHouse-style 500, and against a closed port.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import { openClickHouse, type ClickHouseLogFields } from "../src/client";

const ROOT = resolve(__dirname, "..", "..");
const REFUSAL = "Code: 241. DB::Exception: Memory limit (total) exceeded: would use 9.31 GiB, maximum: 9.30 GiB. (MEMORY_LIMIT_EXCEEDED) (version 25.8.1.1)\n";
const STACK_FRAME = /^\s+at\s|\bat .+:\d+:\d+\)?$/;

let server: Server;
let port: number;
let closedPort: number;
before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(500, { "Content-Type": "text/plain; charset=UTF-8", "X-ClickHouse-Exception-Code": "241" });
      res.end(REFUSAL);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
  // A port nothing listens on: bind one, note it, close it.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

interface Event {
  level: string;
  message: string;
  fields: ClickHouseLogFields;
}

function capture(): { events: Event[]; logger: { debug: (m: string, f?: ClickHouseLogFields) => void; warn: (m: string, f?: ClickHouseLogFields) => void; error: (m: string, f?: ClickHouseLogFields) => void } } {
  const events: Event[] = [];
  const at = (level: string) => (message: string, fields: ClickHouseLogFields = {}) => void events.push({ level, message, fields });
  return { events, logger: { debug: at("debug"), warn: at("warn"), error: at("error") } };
}

test("a refused request is one event on the logger given: message, ClickHouse code, no stack", async () => {
  const { events, logger } = capture();
  const handle = await openClickHouse({ url: `http://127.0.0.1:${port}`, logger });
  try {
    await assert.rejects(handle.client.command({ query: "CREATE DATABASE x" }), /Memory limit \(total\) exceeded/);
  } finally {
    await handle.close();
  }
  const errors = events.filter((e) => e.level === "error");
  assert.equal(errors.length, 1, JSON.stringify(events));
  const [event] = errors;
  assert.match(event!.message, /Command: HTTP request error/);
  assert.equal(event!.fields.code, "241");
  assert.equal(event!.fields.type, "MEMORY_LIMIT_EXCEEDED");
  assert.match(String(event!.fields.error), /^Memory limit \(total\) exceeded/);
  assert.equal(event!.fields.operation, "Command");
  for (const e of events) assert.doesNotMatch(JSON.stringify(e), /\\n\s+at |"stack"/, "no stack trace in any field");
});

test("a closed port is one event with the system error code", async () => {
  const { events, logger } = capture();
  const handle = await openClickHouse({ url: `http://127.0.0.1:${closedPort}`, logger });
  try {
    await assert.rejects(handle.client.command({ query: "SELECT 1" }), /ECONNREFUSED/);
  } finally {
    await handle.close();
  }
  const errors = events.filter((e) => e.level === "error");
  assert.equal(errors.length, 1, JSON.stringify(events));
  assert.equal(errors[0]!.fields.code, "ECONNREFUSED");
  assert.match(String(errors[0]!.fields.error), /ECONNREFUSED 127\.0\.0\.1/);
});

function noStackFrames(stderr: string): void {
  for (const line of stderr.split("\n")) {
    assert.doesNotMatch(line, STACK_FRAME, `a stack frame on stderr: ${line}\n---\n${stderr}`);
    assert.doesNotMatch(line, /Caused by:|^Arguments:/, `the library's multi-line output on stderr: ${line}`);
  }
}

/** The migrate CLI as a child process (asynchronously: the refusing server runs in this process). */
function migrateCli(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "sql/src/cli.ts", ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.on("exit", (status) => {
      clearTimeout(guard);
      resolve({ status, stderr });
    }),
  );
}

test("npm run migrate against a ClickHouse refusing every request: exit 1, the library's event on one stderr line, no stack", async () => {
  for (const url of [`http://127.0.0.1:${port}`, `http://127.0.0.1:${closedPort}`]) {
    const run = await migrateCli(["--url", url, "--no-users"]);
    assert.equal(run.status, 1, run.stderr);
    noStackFrames(run.stderr);
    const library = run.stderr.split("\n").filter((l) => l.includes("HTTP request error"));
    assert.equal(library.length, 1, `one line for the one failed request:\n${run.stderr}`);
    assert.match(library[0]!, url.endsWith(String(port)) ? /241.*MEMORY_LIMIT_EXCEEDED|MEMORY_LIMIT_EXCEEDED.*241/ : /ECONNREFUSED/);
    assert.match(run.stderr, /migrate failed:/);
  }
});

test("without a logger (any other caller), the library's events are still one line each on stderr", () => {
  const script = `
    const { openClickHouse } = require("./sql/src/client");
    (async () => {
      const handle = await openClickHouse({ url: "http://127.0.0.1:${closedPort}" });
      await handle.client.command({ query: "SELECT 1" }).catch(() => undefined);
      await handle.close();
    })();`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  noStackFrames(run.stderr);
  const lines = run.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /ECONNREFUSED/);
});
