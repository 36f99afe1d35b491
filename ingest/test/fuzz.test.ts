// 10,000 malformed messages mixed into a valid stream: no crash, each one dead-lettered with a
// reason, every valid tick still stored once.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { openMigratedEngine } from "../../sql/testing/engine";
import { decode } from "../src/pipeline/decode";
import { startIngester } from "../src/main";
import { realisticTickers } from "../../sql/testing/ticks";
import { one, rows, tempDir, testConfig } from "./helpers";

const MALFORMED = 10_000;
const REQUIRED = ["sequence", "product_id", "price", "time", "open_24h", "volume_24h", "low_24h", "high_24h", "volume_30d", "best_bid", "best_bid_size", "best_ask", "best_ask_size"];
const WRONG_VALUES: unknown[] = [null, true, [], {}, "abc", "", "1.2.3", -1, -0.5, "NaN", "Infinity", "0x10", " 12", "2026-11-24", { value: "1" }, [1]];

/** One malformed message per index, cycling through the ways a feed message can be broken. */
function malformed(i: number, template: Record<string, unknown>, text: string, garbage: string): string {
  switch (i % 7) {
    case 0: // cut off mid-message
      return text.slice(0, 1 + (i % (text.length - 1)));
    case 1: {
      // a required field with a wrong value
      const key = REQUIRED[i % REQUIRED.length]!;
      const value = WRONG_VALUES[(i >> 3) % WRONG_VALUES.length];
      return JSON.stringify({ ...template, [key]: key === "product_id" && typeof value === "string" ? value.toLowerCase() + "!" : value });
    }
    case 2: {
      // a required field missing
      const copy = { ...template };
      delete copy[REQUIRED[i % REQUIRED.length]!];
      return JSON.stringify(copy);
    }
    case 3: // not JSON at all
      return `#${garbage}`;
    case 4: // JSON, but not an object
      return JSON.stringify([[1, 2], 42, "ticker", null, [template]][i % 5]);
    case 5: // an object without a usable type
      return JSON.stringify({ ...template, type: [undefined, 7, null, ["ticker"]][i % 4] });
    default: // a heartbeat or match with broken numbering
      return JSON.stringify({ type: i % 2 ? "heartbeat" : "match", product_id: "BTC-USD", sequence: "12", trade_id: -4, time: template.time });
  }
}

test("10,000 malformed messages: no crash, each dead-lettered once, valid ticks all stored", async () => {
  const valid = realisticTickers(2_000);
  const template = JSON.parse(valid[0]!) as Record<string, unknown>;
  const garbage = fc.sample(fc.string({ unit: "binary", minLength: 0, maxLength: 200 }), { numRuns: MALFORMED, seed: 42 });
  const lines: string[] = [];
  let bad = 0;
  for (let i = 0; i < MALFORMED; i++) {
    const line = malformed(i, template, valid[i % valid.length]!, garbage[i]!).replace(/[\r\n]/g, " ");
    assert.equal(decode(line).kind, "invalid", `generator produced a valid message at ${i}: ${line.slice(0, 200)}`);
    lines.push(line);
    bad++;
    if (i % 5 === 0) lines.push(valid[i / 5]!);
  }
  const path = join(tempDir("fuzz"), "fuzz.ndjson");
  writeFileSync(path, lines.join("\n") + "\n");

  const engine = await openMigratedEngine();
  try {
    const ingester = await startIngester(testConfig({ source: { type: "replay", path }, batch: { max_rows: 5_000, max_interval_ms: 200 } }), {
      clickhouse: { client: engine.client, kind: "embedded", close: async () => undefined },
      defaultMetrics: false,
    });
    assert.equal(await ingester.done, 0);
    const dead = await one<{ c: string; reasons: string }>(engine.client, "SELECT count() AS c, uniqExact(reason) AS reasons FROM coinbase_demo.ingest_dead_letters WHERE reason != ''");
    assert.equal(Number(dead.c), bad, "every malformed message is a dead letter");
    assert.ok(Number(dead.reasons) > 50, `reasons are specific (${dead.reasons} distinct)`);
    const stored = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(sequence) AS u FROM coinbase_demo.coinbase_ticker");
    assert.equal(Number(stored.c), 2_000);
    assert.equal(Number(stored.u), 2_000);
    assert.equal(ingester.metrics.totals.rejected, bad);
    const sample = await rows<{ reason: string }>(engine.client, "SELECT reason FROM coinbase_demo.ingest_dead_letters WHERE reason LIKE 'ticker.price%' LIMIT 1");
    assert.match(sample[0]!.reason, /^ticker\.price: /);
  } finally {
    await engine.close();
  }
});
