// The scripted feed of `npm run check:trades` (exactly-once.ts): a fake Coinbase (websocket + REST
// on loopback, ../testing/fake-coinbase.ts) plays a session to a running ingester — live trades,
// repeats of messages already sent, live messages held back and delivered late and out of order
// (never seen before they arrive), a disconnect window during which trades happen, REST 429s and
// a 5xx while the backfill fetches that window — and records what it did, for the report and the
// checks. Deterministic for a seed: the same trades, prices, repeats and held messages every run.
import { prng } from "../../sql/src/prng";
import type { RunningIngester } from "../src/main";
import type { FakeCoinbase, FeedMessage, TapeTrade } from "../testing/fake-coinbase";

export interface ScenarioOptions {
  readonly seed: number;
  /** Trades per product on the tape (all phases together). */
  readonly tradesPerProduct: number;
}

/** What the exchange did: the report's first half, and what the checks compare against. */
export interface ScenarioRecord {
  /** Copies of messages already sent (duplicateLast and sendLate). */
  readonly duplicates: { readonly lastAgain: number; readonly lateAgain: number };
  /** Live messages held back, then delivered newest first after `overtakenBy` newer messages. */
  readonly held: readonly FeedMessage[];
  readonly overtakenBy: number;
  /** Trades made while no one was connected (the websocket never sent them; REST serves them). */
  readonly window: readonly TapeTrade[];
  /** REST faults queued for the backfill of the window. */
  readonly restFaults: readonly number[];
}

/** How long the ingester may take to receive what was sent, before the check gives up. */
const RECEIVE_TIMEOUT_MS = 15_000;
/** REST answers wait this long while held messages are on their way, so the late websocket copy arrives first. */
const REST_DELAY_WHILE_HOLDING_MS = 500;

/** The phases' shares of each product's trades: live, live with messages held back, the disconnect window, live again. */
export function phaseSizes(tradesPerProduct: number): { live: number; holding: number; window: number; after: number } {
  const live = Math.round(tradesPerProduct * 0.3);
  const holding = Math.round(tradesPerProduct * 0.2);
  const window = Math.round(tradesPerProduct * 0.3);
  return { live, holding, window, after: tradesPerProduct - live - holding - window };
}

/**
 * Plays the session to an ingester connected to `fake`; resolves once the ingester has received
 * every message sent (the backfill may still be working).
 */
export async function playScenario(fake: FakeCoinbase, ingester: RunningIngester, options: ScenarioOptions): Promise<ScenarioRecord> {
  const random = prng(options.seed * 31 + 7);
  const sizes = phaseSizes(options.tradesPerProduct);
  const received = new Received(fake, ingester);
  await fake.waitForSubscribers(1, RECEIVE_TIMEOUT_MS);

  await fake.emit(sizes.live);
  const lastAgain = 12;
  await received.copies(() => fake.duplicateLast(lastAgain), lastAgain);
  const lateAgainBefore = fake.sent.length;
  for (const p of fake.productIds) await fake.sendLate(p, pick(fake.allTrades(p), 3, random).map((t) => t.trade_id));
  const lateAgain = fake.sent.length - lateAgainBefore;
  await received.all();

  const { held, overtakenBy } = await lateNeverSeen(fake, received, sizes.holding, random);

  const window = await fake.whileDisconnected(sizes.window);
  fake.failRest(2, 429);
  fake.failRest(1, 503);
  await fake.waitForSubscribers(1, RECEIVE_TIMEOUT_MS);
  const half = Math.floor(sizes.after / 2);
  if (half > 0) await fake.emit(half);
  await received.copies(() => fake.duplicateLast(lastAgain), lastAgain);
  await fake.emit(sizes.after - half);
  await received.all();
  return { duplicates: { lastAgain: 2 * lastAgain, lateAgain }, held, overtakenBy, window, restFaults: [429, 429, 503] };
}

/**
 * Live trades with a few of their messages (matches and tickers of every product, picked by the
 * seed) held back, then released newest first: each arrives after newer ones, never seen before.
 * REST answers are delayed meanwhile, so the websocket's late copy of a held trade arrives before
 * the backfill of the gap its absence opened (either way it is stored once).
 */
async function lateNeverSeen(fake: FakeCoinbase, received: Received, trades: number, random: () => number): Promise<{ held: FeedMessage[]; overtakenBy: number }> {
  const count = 3 * fake.productIds.length;
  fake.holdBack(count, () => random() < 0.12);
  fake.restDelay(REST_DELAY_WHILE_HOLDING_MS);
  const before = fake.sent.length;
  await fake.emit(trades);
  const overtakenBy = fake.sent.length - before;
  await received.all();
  const held = await fake.releaseHeld();
  await received.all();
  fake.restDelay(0);
  return { held, overtakenBy };
}

/** `n` trades of `trades`, spread out, picked by `random`. */
function pick(trades: readonly TapeTrade[], n: number, random: () => number): TapeTrade[] {
  const out: TapeTrade[] = [];
  for (let i = 0; i < n && trades.length > 0; i++) out.push(trades[Math.floor(random() * trades.length)]!);
  return out;
}

/**
 * Waits until the ingester has received every feed message the exchange sent it: the messages in
 * `fake.sent` (one connection at a time here), the copies duplicateLast made, and one
 * subscriptions ack per subscribe.
 */
class Received {
  private copiesSent = 0;

  constructor(
    private readonly fake: FakeCoinbase,
    private readonly ingester: RunningIngester,
  ) {}

  async copies(send: () => Promise<void>, count: number): Promise<void> {
    await send();
    this.copiesSent += count;
  }

  async all(): Promise<void> {
    const expected = this.fake.sent.length + this.copiesSent + this.fake.subscribes.length;
    const until = Date.now() + RECEIVE_TIMEOUT_MS;
    while (this.ingester.metrics.totals.received < expected) {
      if (Date.now() > until) {
        throw new Error(`the ingester received ${this.ingester.metrics.totals.received} of the ${expected} messages sent within ${RECEIVE_TIMEOUT_MS / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
