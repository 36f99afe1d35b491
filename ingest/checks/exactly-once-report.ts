// The printed report of `npm run check:trades` (exactly-once.ts): what the fake exchange sent (trades,
// repeats, late messages, the disconnect window, REST faults), what the ingester stored, each check
// with ✔ or ✖ and its numbers, and for information the ticker-method VWAP beside the exact one.
import { rollupWindowOf, tradeInputOf } from "../../sql/testing/exactness";
import type { FakeCoinbase } from "../testing/fake-coinbase";
import type { ScenarioRecord } from "./trade-scenario";
import { sentTradeKeys, type Check, type StoredSummary, type VwapMethodRow } from "./trade-verify";

export interface RunFacts {
  readonly options: { readonly seed: number; readonly tradesPerProduct: number; readonly backfill: boolean; readonly keep: boolean; readonly dataDir: string | undefined };
  readonly urls: { readonly wsUrl: string; readonly restUrl: string };
  readonly dataDir: string;
  readonly root: string;
  readonly session: { readonly record: ScenarioRecord; readonly settled: boolean; readonly exitCode: number };
  readonly checks: readonly Check[];
  /** How the held-back trades were stored: from the websocket's late copy, or first by the backfill. */
  readonly lateTrades: { readonly ws: number; readonly rest: number; readonly missing: number };
  readonly fake: FakeCoinbase;
  readonly warnings: readonly string[];
  readonly errors: readonly string[];
  readonly seconds: number;
}

const n = (x: number) => x.toLocaleString("en");
const line = (label: string, text: string) => `  ${label.padEnd(17)} ${text}`;

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

function exchangeLines(facts: RunFacts, products: readonly string[]): string[] {
  const { fake, session, lateTrades } = facts;
  const { record } = session;
  const tape = fake.allTrades();
  const times = tape.map((t) => t.time).sort();
  const sentKinds = countBy(fake.sent, (m) => m.channel);
  const heldKinds = countBy(record.held, (m) => m.channel);
  const heldProducts = new Set(record.held.map((m) => m.productId)).size;
  const delivered = sentTradeKeys(fake);
  const resent = record.window.filter((t) => delivered.has(`${t.product_id}:${t.trade_id}`)).length;
  const statuses = [...countBy(fake.restRequests, (r) => String(r.status))].map(([status, k]) => `${k} × ${status}`).join(", ");
  return [
    `The exchange: a fake Coinbase on ${facts.urls.wsUrl.replace("ws://", "")} (websocket and REST), seed ${facts.options.seed}`,
    line("tape", `${n(tape.length)} trades (${n(facts.options.tradesPerProduct)} per product: ${products.join(", ")}), contiguous trade_ids, ${times[0]} to ${times.at(-1)}`),
    line("websocket", `${n(sentKinds.get("matches") ?? 0)} matches and ${n(sentKinds.get("ticker") ?? 0)} tickers delivered over ${fake.connections} connections (copies and late ones included)`),
    line("repeats", `${n(record.duplicates.lastAgain + record.duplicates.lateAgain)} copies of messages already delivered (${record.duplicates.lastAgain} by duplicateLast, ${record.duplicates.lateAgain} by sendLate)`),
    line("late, never seen", `${record.held.length} live messages (${heldKinds.get("matches") ?? 0} matches, ${heldKinds.get("ticker") ?? 0} tickers, ${heldProducts} products) held back, delivered after ${n(record.overtakenBy)} newer ones, newest first; their trades stored from the websocket ${lateTrades.ws}, first by the backfill ${lateTrades.rest}, missing ${lateTrades.missing}`),
    line("disconnect", `${n(record.window.length)} trades while no one was connected; ${resent} came back on resubscribe as last_match, ${n(record.window.length - resent)} only REST can serve`),
    line("REST", `faults injected ${record.restFaults.join(", ")}; ${fake.restRequests.length} requests answered: ${statuses || "none"}${facts.options.backfill ? "" : " (backfill off: --no-backfill)"}`),
  ];
}

function storedLines(facts: RunFacts, stored: StoredSummary): string[] {
  const sources = Object.entries(stored.bySource).map(([s, k]) => `${s} ${n(k)}`).join(", ");
  return [
    `The ingester stored (embedded ClickHouse${facts.options.keep ? ` at ${facts.dataDir}` : ", a temporary directory"})`,
    line("coinbase_ticker", `${n(stored.tickerRows)} rows`),
    line("trades", `${n(stored.tradeRows)} rows${sources ? `: ${sources}` : ""}`),
    line("sequence_gaps", `${stored.tradeGaps} trade_id gaps; ingest_dead_letters ${stored.deadLetters} rows`),
  ];
}

function checkLines(facts: RunFacts): string[] {
  const out = ["Checks"];
  for (const c of facts.checks) {
    out.push(`  ${c.ok ? "✔" : "✖"} (${c.id}) ${c.name}: ${c.detail}`);
    for (const p of c.problems) out.push(`      ${p}`);
  }
  if (!facts.session.settled) out.push("  ✖ the backfill did not settle: gaps were still open when the ingester was stopped");
  if (facts.session.exitCode !== 0) out.push(`  ✖ the ingester stopped with exit code ${facts.session.exitCode}`);
  return out;
}

function vwapLines(rows: readonly VwapMethodRow[]): string[] {
  const fixed = (x: number | null, digits: number) => (x === null ? "—" : x.toFixed(digits));
  const out = ["For information: the 5-minute VWAP from tickers (the walk-through's method) beside the one from the stored trades, exact when (e) passes (vwap_methods_5m)"];
  for (const r of rows) {
    const bps = r.difference_bps === null ? "no ticker in the bucket" : `${r.difference_bps >= 0 ? "+" : ""}${r.difference_bps.toFixed(2)} bps`;
    out.push(`  ${r.product_id.padEnd(8)} ${r.bucket}  tickers ${fixed(r.ticker_vwap, 6).padStart(14)}  trades ${fixed(r.trade_vwap, 6).padStart(14)}  ${bps}`);
  }
  return out;
}

function resultLines(facts: RunFacts): string[] {
  const failed = facts.checks.filter((c) => !c.ok);
  const extra = [...(facts.session.settled ? [] : ["the backfill did not settle"]), ...(facts.session.exitCode === 0 ? [] : [`the ingester's exit code ${facts.session.exitCode}`])];
  const log = `ingester log: ${facts.warnings.length} warnings (reconnects, REST retries), ${facts.errors.length} errors${facts.errors.length > 0 ? `: ${facts.errors.slice(0, 3).join(" | ")}` : ""} (--log prints them)`;
  const window = rollupWindowOf(facts.fake.allTrades().map(tradeInputOf));
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  const query = `npm run query -- trade_vwap_5m --embedded ${facts.dataDir} --from ${iso(window.fromMs)} --to ${iso(window.toMs)}`;
  const kept = facts.options.keep ? [`Kept: the embedded ClickHouse at ${facts.dataDir}${facts.options.dataDir === undefined ? ` (and the spool in ${facts.root})` : ""}; look with e.g. ${query}`] : [];
  if (failed.length === 0 && extra.length === 0) return [log, ...kept, `Result: all ${facts.checks.length} checks passed (${facts.seconds.toFixed(1)} s).`];
  const names = [...failed.map((c) => `(${c.id}) ${c.name}`), ...extra];
  return [log, ...kept, `Result: FAILED — ${names.join(", ")} (${failed.length} of ${facts.checks.length} checks failed; ${facts.seconds.toFixed(1)} s).`];
}

export function printReport(facts: RunFacts, stored: StoredSummary, vwap: readonly VwapMethodRow[], products: readonly string[]): void {
  const title = `npm run check:trades — every tick and trade exactly once (${facts.options.tradesPerProduct} trades per product, backfill ${facts.options.backfill ? "on" : "OFF"})`;
  const sections = [[title], exchangeLines(facts, products), storedLines(facts, stored), checkLines(facts), vwapLines(vwap), resultLines(facts)];
  process.stdout.write(`${sections.map((s) => s.join("\n")).join("\n\n")}\n`);
}
