// A fake Coinbase Exchange on loopback, for tests and runnable checks: one HTTP server serving the
// websocket feed (`ws`, on the same server) and the public REST trades route, both from one
// deterministic "tape" of trades per product (contiguous trade_id). A test drives it step by step:
// trades on the live feed, trades while nobody is connected (REST serves them, the websocket never
// sends them), dropped connections, duplicates, late and raw messages, live messages held back and
// delivered later out of order (never seen before they arrive), REST faults, retention and
// latency; `allTrades()` is the exact reference list to compare what was stored against.
//
// Shapes follow ../shared/FACTS.md ("Coinbase Exchange websocket") and Coinbase's docs: a ticker per
// batch of matches (trade_id and last_size of the batch's last trade only, so VWAP from tickers is
// not VWAP from trades), `sequence` jumping between messages, heartbeats once per interval per
// product, a `subscriptions` ack naming the requested channels, one `last_match` per product after
// subscribing to `matches`, and only subscribed channels are sent. REST: newest first, trade_id <
// after, limit ≤ 1000, CB-AFTER/CB-BEFORE cursors, 404 {"message":"NotFound"} for an unknown
// product, and the public limit (10 requests/s, bursts of 15: a lazy-fill token bucket) enforced
// with 429 {"message":"Public rate limit exceeded"}
// (docs.cdp.coinbase.com/exchange/rest-api/pagination, /exchange/rest-api/rate-limits).
//
// Runnable: `node --import tsx ingest/testing/fake-coinbase.ts --rate 5 --products BTC-USD,ETH-USD`
// prints {"wsUrl","restUrl"} and then emits trades until stopped (see `main` at the end).
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { prng } from "../../sql/src/prng";

export type Side = "buy" | "sell";

/** What a generator (or an explicit list) decides about a trade; the tape adds ids, time and sequence. */
export interface TradeFields {
  readonly price: string;
  readonly size: string;
  /** The maker's side, as in Coinbase's match and REST trade. */
  readonly side: Side;
}

/** One trade on the tape, with everything the websocket's `match` carries. */
export interface TapeTrade extends TradeFields {
  readonly product_id: string;
  readonly trade_id: number;
  readonly sequence: number;
  /** ISO 8601 with microseconds, e.g. 2026-11-24T21:00:00.208176Z. */
  readonly time: string;
  readonly maker_order_id: string;
  readonly taker_order_id: string;
}

/** A trade as REST serves it: `{"time","trade_id","price","size","side"}` (no order ids, no sequence). */
export interface RestTrade {
  readonly time: string;
  readonly trade_id: number;
  readonly price: string;
  readonly size: string;
  readonly side: Side;
}

export type TradeGenerator = (index: number, random: () => number, previous: TradeFields | undefined) => TradeFields;

export interface FakeProduct {
  readonly productId: string;
  /** trade_id of the first trade (default 700,000,000 + 10,000,000 × the product's position). */
  readonly firstTradeId?: number;
  readonly firstSequence?: number;
  /** Price of the first generated trade (default 91000, 3100, 150, 2.5 by position). */
  readonly startPrice?: number;
  readonly priceDecimals?: number;
  readonly sizeDecimals?: number;
  /** The first trades this product makes, in order; the generator continues after them. */
  readonly trades?: readonly TradeFields[];
  readonly generator?: TradeGenerator;
}

export interface FakeCoinbaseOptions {
  readonly products?: ReadonlyArray<string | FakeProduct>;
  readonly seed?: number;
  /** Time of the first trade, epoch ms (default 2026-11-24T21:00:00Z, so runs repeat). */
  readonly startTime?: number;
  /** Trades and heartbeats at the wall clock's time (runnable checks) instead of the tape's own clock. */
  readonly realTime?: boolean;
  /** Heartbeat interval per product; 0: only when `heartbeat()` is called. Default 1000. */
  readonly heartbeatMs?: number;
  /** Matches per ticker at most (each batch is 1..maxBatch, from the seed). Default 4. */
  readonly maxBatch?: number;
  /** Coinbase sends the current ticker right after a ticker subscribe; false turns that off. */
  readonly tickerOnSubscribe?: boolean;
  /** The fake's own public rate limit; false: none. Default 10/s, burst 15. */
  readonly restLimit?: { readonly requestsPerSecond: number; readonly burst: number } | false;
  readonly port?: number;
}

export interface RestRequest {
  /** Path and query as requested. */
  readonly path: string;
  readonly productId: string | undefined;
  readonly after: number | undefined;
  readonly before: number | undefined;
  readonly limit: number | undefined;
  readonly status: number;
  /** Arrival, epoch ms. */
  readonly at: number;
  readonly userAgent: string | undefined;
  /** Answered by failRest (not by the route or the fake's rate limit). */
  readonly injected: boolean;
}

export interface FeedMessage {
  readonly channel: "ticker" | "matches";
  readonly productId: string;
  readonly text: string;
}

type Channel = "ticker" | "matches" | "heartbeat";
const CHANNELS: readonly string[] = ["ticker", "matches", "heartbeat", "level2", "level2_batch", "full", "status", "auctionfeed"];
const DEFAULT_PRICES = [91_000, 3_100, 150, 2.5];
const MAX_LIMIT = 1000;
const DEFAULT_START = Date.parse("2026-11-24T21:00:00Z");

/** Decimal text of `units` × 10^-decimals, exact. */
export function decimalOf(units: number, decimals: number): string {
  if (decimals === 0) return String(units);
  const scale = 10 ** decimals;
  return `${Math.floor(units / scale)}.${String(units % scale).padStart(decimals, "0")}`;
}

/** ISO time with six fraction digits from epoch microseconds. */
export function isoMicros(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  return new Date(ms).toISOString().replace("Z", `${String(epochMicros % 1000).padStart(3, "0")}Z`);
}

export function matchMessage(t: TapeTrade, type: "match" | "last_match" = "match"): string {
  return JSON.stringify({
    type,
    trade_id: t.trade_id,
    sequence: t.sequence,
    maker_order_id: t.maker_order_id,
    taker_order_id: t.taker_order_id,
    time: t.time,
    product_id: t.product_id,
    size: t.size,
    price: t.price,
    side: t.side,
  });
}

/** The REST shape. Coinbase's documented example writes the price with 8 decimals ("6225.32000000"), so this pads it. */
export function restTrade(t: TapeTrade): RestTrade {
  const [whole, fraction = ""] = t.price.split(".");
  return { time: t.time, trade_id: t.trade_id, price: `${whole}.${fraction.padEnd(8, "0")}`, size: t.size, side: t.side };
}

/** One product's tape: every trade it ever made, and the ticker that closed each batch. */
class ProductTape {
  readonly trades: TapeTrade[] = [];
  /** trade_id of a batch's last trade → the ticker sent for the batch. */
  readonly tickers = new Map<number, string>();
  lastTicker: string | undefined;
  readonly firstTradeId: number;
  sequence: number;
  private clockMicros: number;
  private priceUnits: number;
  private readonly openUnits: number;
  private lowUnits: number;
  private highUnits: number;
  private volume24h: number;
  private volume30d: number;
  private explicit: TradeFields[];
  private previous: TradeFields | undefined;

  constructor(
    readonly productId: string,
    private readonly spec: FakeProduct,
    readonly random: () => number,
    index: number,
    startTime: number,
    private readonly realTime: boolean,
  ) {
    this.firstTradeId = spec.firstTradeId ?? 700_000_000 + index * 10_000_000;
    this.sequence = spec.firstSequence ?? 90_000_000_000 + index * 1_000_000_000;
    this.clockMicros = startTime * 1000 + index * 1000;
    this.priceUnits = Math.round((spec.startPrice ?? DEFAULT_PRICES[index % DEFAULT_PRICES.length]!) * 10 ** this.priceDecimals);
    this.openUnits = this.lowUnits = this.highUnits = this.priceUnits;
    this.volume24h = Math.round(10_000 * 10 ** this.sizeDecimals * (1 + random()));
    this.volume30d = this.volume24h * 30;
    this.explicit = [...(spec.trades ?? [])];
  }

  get priceDecimals(): number {
    return this.spec.priceDecimals ?? 2;
  }

  get sizeDecimals(): number {
    return this.spec.sizeDecimals ?? 8;
  }

  /** The next `size` trades (one cascade) and the ticker Coinbase sends for them. */
  batch(size: number): { trades: TapeTrade[]; ticker: string } {
    const trades: TapeTrade[] = [];
    this.tick(1 + Math.floor(this.random() * 400_000));
    for (let i = 0; i < size; i++) {
      if (i > 0) this.clockMicros += Math.floor(this.random() * 50);
      this.sequence += 1 + Math.floor(this.random() * 40); // order-book messages in between
      const fields = this.nextFields();
      const trade: TapeTrade = {
        product_id: this.productId,
        trade_id: this.firstTradeId + this.trades.length,
        sequence: this.sequence,
        time: isoMicros(this.clockMicros),
        price: fields.price,
        size: fields.size,
        side: fields.side,
        maker_order_id: this.uuid(),
        taker_order_id: this.uuid(),
      };
      this.trades.push(trade);
      trades.push(trade);
      this.account(fields);
    }
    const ticker = this.tickerOf(trades[trades.length - 1]!);
    this.tickers.set(trades[trades.length - 1]!.trade_id, ticker);
    this.lastTicker = ticker;
    return { trades, ticker };
  }

  heartbeat(): string {
    if (this.realTime) this.tick(0);
    const last = this.trades[this.trades.length - 1];
    return JSON.stringify({ type: "heartbeat", last_trade_id: last?.trade_id ?? 0, product_id: this.productId, sequence: this.sequence, time: isoMicros(this.clockMicros) });
  }

  private tick(micros: number): void {
    this.clockMicros = this.realTime ? Math.max(this.clockMicros + (micros > 0 ? 1 : 0), Date.now() * 1000) : this.clockMicros + micros;
  }

  private nextFields(): TradeFields {
    const index = this.trades.length;
    const fields = this.explicit.shift() ?? (this.spec.generator ? this.spec.generator(index, this.random, this.previous) : this.randomWalk());
    this.previous = fields;
    return fields;
  }

  private randomWalk(): TradeFields {
    const step = Math.round((this.random() - 0.5) * this.priceUnits * 0.0005);
    this.priceUnits = Math.max(1, this.priceUnits + step);
    const sizeUnits = 1 + Math.floor(this.random() ** 3 * 2 * 10 ** this.sizeDecimals);
    return { price: decimalOf(this.priceUnits, this.priceDecimals), size: decimalOf(sizeUnits, this.sizeDecimals), side: this.random() < 0.5 ? "buy" : "sell" };
  }

  /** The 24h statistics move with every trade (sizes and prices as exact units). */
  private account(fields: TradeFields): void {
    const price = unitsOf(fields.price, this.priceDecimals);
    const size = unitsOf(fields.size, this.sizeDecimals);
    if (price !== undefined) {
      this.priceUnits = price;
      this.lowUnits = Math.min(this.lowUnits, price);
      this.highUnits = Math.max(this.highUnits, price);
    }
    if (size !== undefined) {
      this.volume24h += size;
      this.volume30d += size;
    }
  }

  private tickerOf(last: TapeTrade): string {
    const p = this.priceDecimals;
    const s = this.sizeDecimals;
    // Keys in Coinbase's order (the ingester's fast path reads exactly this shape). The ticker's
    // side is the taker's, the opposite of the match's maker side.
    return JSON.stringify({
      type: "ticker",
      sequence: last.sequence,
      product_id: this.productId,
      price: last.price,
      open_24h: decimalOf(this.openUnits, p),
      volume_24h: decimalOf(this.volume24h, s),
      low_24h: decimalOf(this.lowUnits, p),
      high_24h: decimalOf(this.highUnits, p),
      volume_30d: decimalOf(this.volume30d, s),
      best_bid: decimalOf(Math.max(1, this.priceUnits - 1), p),
      best_bid_size: decimalOf(1 + Math.floor(this.random() * 2 * 10 ** s), s),
      best_ask: decimalOf(this.priceUnits + 1, p),
      best_ask_size: decimalOf(1 + Math.floor(this.random() * 2 * 10 ** s), s),
      side: last.side === "buy" ? "sell" : "buy",
      time: last.time,
      trade_id: last.trade_id,
      last_size: last.size,
    });
  }

  private uuid(): string {
    let hex = "";
    for (let i = 0; i < 4; i++) hex += Math.floor(this.random() * 2 ** 32).toString(16).padStart(8, "0");
    const variant = "89ab"[Math.floor(this.random() * 4)]!;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

/** Whole units of a decimal text at `decimals` (undefined when it has more digits or is not plain). */
function unitsOf(text: string, decimals: number): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m || (m[2] ?? "").length > decimals) return undefined;
  return Number(m[1]) * 10 ** decimals + Number((m[2] ?? "").padEnd(decimals, "0") || "0");
}

/** The fake's own limiter, written apart from the client's so one bug cannot hide in both. */
class PublicLimit {
  private tokens: number;
  private at = performance.now();

  constructor(private readonly limit: { readonly requestsPerSecond: number; readonly burst: number }) {
    this.tokens = limit.burst;
  }

  allow(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.at) / 1000) * this.limit.requestsPerSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface Injected {
  remaining: number;
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** Subscribed products per channel, per connection. */
type Subscription = Map<Channel, Set<string>>;

interface RestAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
  readonly record: Partial<RestRequest>;
}

export class FakeCoinbase {
  readonly restRequests: RestRequest[] = [];
  /** Every subscribe message received, parsed. */
  readonly subscribes: unknown[] = [];
  /**
   * Feed messages (matches, tickers) that reached at least one client, in order (last 100,000):
   * live ones, repeats of sendLate, released ones, and the last_match and ticker sent on subscribe;
   * not duplicateLast's copies.
   */
  readonly sent: FeedMessage[] = [];
  /** Websocket connections accepted so far. */
  connections = 0;
  private readonly tapes = new Map<string, ProductTape>();
  private readonly sockets = new Map<WebSocket, Subscription>();
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly limiter: PublicLimit | undefined;
  private readonly batchRandom: () => number;
  private readonly injected: Injected[] = [];
  private retention: number | undefined;
  private delayMs = 0;
  private refusing = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Live feed messages still to hold back (holdBack), which ones, and those held so far. */
  private holding: { left: number; readonly which: (message: FeedMessage) => boolean } | undefined;
  private readonly held: FeedMessage[] = [];

  constructor(private readonly options: FakeCoinbaseOptions = {}) {
    const seed = options.seed ?? 1;
    const startTime = options.startTime ?? DEFAULT_START;
    (options.products ?? ["BTC-USD"]).forEach((p, i) => {
      const spec = typeof p === "string" ? { productId: p } : p;
      this.tapes.set(spec.productId, new ProductTape(spec.productId, spec, prng(seed * 7919 + i + 1), i, startTime, options.realTime ?? false));
    });
    this.batchRandom = prng(seed * 104_729 + 17);
    const limit = options.restLimit ?? { requestsPerSecond: 10, burst: 15 };
    this.limiter = limit === false ? undefined : new PublicLimit(limit);
    this.server = createServer((req, res) => this.answerRest(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
  }

  async start(): Promise<{ wsUrl: string; restUrl: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const beat = this.options.heartbeatMs ?? 1000;
    if (beat > 0) {
      this.heartbeatTimer = setInterval(() => void this.heartbeat(), beat);
      this.heartbeatTimer.unref();
    }
    const { port } = this.server.address() as AddressInfo;
    return { wsUrl: `ws://127.0.0.1:${port}`, restUrl: `http://127.0.0.1:${port}` };
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    for (const socket of this.sockets.keys()) socket.terminate();
    this.sockets.clear();
    for (const socket of this.wss.clients) socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get productIds(): string[] {
    return [...this.tapes.keys()];
  }

  /** The next `n` trades of every product on the live feed (batches of products interleaved). */
  async emit(n: number): Promise<TapeTrade[]> {
    const left = new Map(this.productIds.map((p) => [p, n]));
    const made: TapeTrade[] = [];
    const flushes: Promise<void>[] = [];
    while ([...left.values()].some((k) => k > 0)) {
      for (const [productId, k] of left) {
        if (k === 0) continue;
        const batch = this.makeBatch(productId, k);
        left.set(productId, k - batch.trades.length);
        made.push(...batch.trades);
        flushes.push(...this.publishBatch(productId, batch));
      }
    }
    await Promise.all(flushes);
    return made;
  }

  /** The next `n` trades of one product on the live feed. */
  async emitTrades(productId: string, n: number): Promise<TapeTrade[]> {
    const made: TapeTrade[] = [];
    const flushes: Promise<void>[] = [];
    while (made.length < n) {
      const batch = this.makeBatch(productId, n - made.length);
      made.push(...batch.trades);
      flushes.push(...this.publishBatch(productId, batch));
    }
    await Promise.all(flushes);
    return made;
  }

  /**
   * Closes every connection (abruptly), then `n` trades happen (of `productId`, or of every
   * product) before anyone can reconnect: on the tape and served by REST, never sent on a websocket.
   */
  async whileDisconnected(n: number, productId?: string): Promise<TapeTrade[]> {
    const closing = this.detachAll("terminate");
    const made: TapeTrade[] = [];
    for (const p of productId === undefined ? this.productIds : [productId]) {
      let k = 0;
      while (k < n) k += this.makeBatch(p, n - k).trades.length;
      made.push(...this.tape(p).trades.slice(-n));
    }
    await closing;
    return made;
  }

  /** Closes every connection: `terminate` (the client sees 1006) or a close frame with `code`. */
  async dropConnections(how: "terminate" | { readonly code: number; readonly reason?: string } = "terminate"): Promise<void> {
    await this.detachAll(how);
  }

  /** While on, websocket upgrades are answered 503 (the exchange is unreachable). */
  refuseConnections(on: boolean): void {
    this.refusing = on;
  }

  /** Any text, as it is, to every open connection (subscribed or not). */
  async sendRaw(text: string): Promise<void> {
    await Promise.all([...this.sockets.keys()].map((s) => sendText(s, text)));
  }

  /** The last `k` feed messages sent, sent again (to the connections subscribed to them now). */
  async duplicateLast(k: number): Promise<void> {
    const flushes = this.sent.slice(-k).flatMap((m) => this.broadcast(m.channel, m.productId, m.text, false));
    await Promise.all(flushes);
  }

  /** Old trades sent again, in the order given: each match, and the ticker if it closed a batch. */
  async sendLate(productId: string, tradeIds: readonly number[]): Promise<void> {
    const tape = this.tape(productId);
    const flushes: Promise<void>[] = [];
    for (const id of tradeIds) {
      const trade = tape.trades[id - tape.firstTradeId];
      if (!trade) throw new Error(`${productId} has no trade ${id} on the tape (trade_ids ${tape.firstTradeId}..${tape.firstTradeId + tape.trades.length - 1})`);
      flushes.push(...this.broadcast("matches", productId, matchMessage(trade), true));
      const ticker = tape.tickers.get(id);
      if (ticker !== undefined) flushes.push(...this.broadcast("ticker", productId, ticker, true));
    }
    await Promise.all(flushes);
  }

  /**
   * The next `count` live feed messages (matches and tickers of emit/emitTrades) that `which`
   * picks (default: every one) are held back: not sent, not in `sent`, until releaseHeld(). The
   * websocket meanwhile carries the messages after them, so the held ones arrive late, never seen.
   */
  holdBack(count: number, which: (message: FeedMessage) => boolean = () => true): void {
    this.holding = count > 0 ? { left: count, which } : undefined;
  }

  /** Messages held back and not released yet. */
  heldBack(): FeedMessage[] {
    return [...this.held];
  }

  /**
   * Sends the held messages now, newest first (out of order), to the connections subscribed to
   * them now, and stops holding; returns them in the order sent.
   */
  async releaseHeld(): Promise<FeedMessage[]> {
    this.holding = undefined;
    const released = this.held.splice(0).reverse();
    await Promise.all(released.flatMap((m) => this.broadcast(m.channel, m.productId, m.text, true)));
    return released;
  }

  /** One heartbeat per product, now (the timer sends them every heartbeatMs too). */
  async heartbeat(): Promise<void> {
    await Promise.all(this.productIds.flatMap((p) => this.broadcast("heartbeat", p, this.tape(p).heartbeat(), false)));
  }

  /** The next `times` REST requests (after the rate limit) get `status` with `body` (default {"message": reason}). */
  failRest(times: number, status: number, extra: { readonly retryAfter?: string; readonly body?: string } = {}): void {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (extra.retryAfter !== undefined) headers["retry-after"] = extra.retryAfter;
    this.injected.push({ remaining: times, status, headers, body: extra.body ?? JSON.stringify({ message: STATUS_CODES[status] ?? "error" }) });
  }

  /** Forgets every failRest not used up yet. */
  clearRestFaults(): void {
    this.injected.length = 0;
  }

  /** REST no longer serves trades below `minTradeId` (undefined: all of the tape). */
  restRetention(minTradeId: number | undefined): void {
    this.retention = minTradeId;
  }

  /** Every REST answer waits this long first. */
  restDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** The tape: every trade of `productId` (or of every product, product by product), oldest first. */
  allTrades(productId?: string): TapeTrade[] {
    if (productId !== undefined) return [...this.tape(productId).trades];
    return this.productIds.flatMap((p) => this.tape(p).trades);
  }

  /** Connections that have subscribed. */
  subscribers(): number {
    return [...this.sockets.values()].filter((s) => s.size > 0).length;
  }

  async waitForSubscribers(count = 1, timeoutMs = 5_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.subscribers() < count) {
      if (Date.now() > until) throw new Error(`no ${count} subscribed connection(s) within ${timeoutMs} ms (${this.subscribers()} now, ${this.connections} accepted)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private tape(productId: string): ProductTape {
    const tape = this.tapes.get(productId);
    if (!tape) throw new Error(`the fake exchange has no product ${productId} (it has ${this.productIds.join(", ")})`);
    return tape;
  }

  private makeBatch(productId: string, atMost: number): { trades: TapeTrade[]; ticker: string } {
    const size = Math.min(atMost, 1 + Math.floor(this.batchRandom() * (this.options.maxBatch ?? 4)));
    return this.tape(productId).batch(size);
  }

  private publishBatch(productId: string, batch: { trades: TapeTrade[]; ticker: string }): Promise<void>[] {
    const flushes = batch.trades.flatMap((t) => this.publish({ channel: "matches", productId, text: matchMessage(t) }));
    return flushes.concat(this.publish({ channel: "ticker", productId, text: batch.ticker }));
  }

  /** A live feed message: sent, or held back (holdBack). */
  private publish(message: FeedMessage): Promise<void>[] {
    const holding = this.holding;
    if (holding && holding.which(message)) {
      this.held.push(message);
      if (--holding.left <= 0) this.holding = undefined;
      return [];
    }
    return this.broadcast(message.channel, message.productId, message.text, true);
  }

  /** Sends to the connections subscribed to `channel` for `productId`; returns one promise per send. */
  private broadcast(channel: Channel, productId: string, text: string, remember: boolean): Promise<void>[] {
    const flushes: Promise<void>[] = [];
    for (const [socket, subscription] of this.sockets) {
      if (subscription.get(channel)?.has(productId)) flushes.push(sendText(socket, text));
    }
    if (remember && flushes.length > 0 && channel !== "heartbeat") this.remember({ channel, productId, text });
    return flushes;
  }

  private detachAll(how: "terminate" | { readonly code: number; readonly reason?: string }): Promise<void> {
    const sockets = [...this.sockets.keys()];
    this.sockets.clear(); // nothing more is sent to them from here on
    return Promise.all(sockets.map((s) => closeSocket(s, how))).then(() => undefined);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.refusing) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.connections++;
      this.sockets.set(ws, new Map());
      ws.on("error", () => undefined);
      ws.on("close", () => this.sockets.delete(ws));
      ws.on("message", (data) => this.onClientMessage(ws, data.toString()));
    });
  }

  private onClientMessage(ws: WebSocket, text: string): void {
    const subscription = this.sockets.get(ws);
    if (!subscription) return;
    let msg: { type?: unknown; product_ids?: unknown; channels?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      void sendText(ws, JSON.stringify({ type: "error", message: "Malformed JSON", reason: "the message is not JSON" }));
      return;
    }
    if (msg.type !== "subscribe") return;
    this.subscribes.push(msg);
    const requested = requestedChannels(msg.product_ids, msg.channels);
    const problem = requested.problem ?? this.unknownProduct(requested.channels);
    if (problem !== undefined) {
      void sendText(ws, JSON.stringify({ type: "error", message: "Failed to subscribe", reason: problem }));
      return;
    }
    for (const { name, productIds } of requested.channels) {
      if (name === "ticker" || name === "matches" || name === "heartbeat") {
        const set = subscription.get(name) ?? new Set<string>();
        productIds.forEach((p) => set.add(p));
        subscription.set(name, set);
      }
    }
    const ack = { type: "subscriptions", channels: [...subscription].map(([name, set]) => ({ name, product_ids: [...set] })) };
    void sendText(ws, JSON.stringify(ack));
    this.afterSubscribe(ws, requested.channels);
  }

  private unknownProduct(channels: ReadonlyArray<{ readonly productIds: readonly string[] }>): string | undefined {
    const unknown = channels.flatMap((c) => c.productIds).find((p) => !this.tapes.has(p));
    return unknown === undefined ? undefined : `${unknown} is not a valid product`;
  }

  /** What Coinbase sends right after a subscribe: the current ticker, and each product's last match. */
  private afterSubscribe(ws: WebSocket, channels: ReadonlyArray<{ readonly name: string; readonly productIds: readonly string[] }>): void {
    for (const { name, productIds } of channels) {
      for (const p of productIds) {
        const tape = this.tape(p);
        const last = tape.trades[tape.trades.length - 1];
        if (name === "matches" && last) this.sendRemembered(ws, { channel: "matches", productId: p, text: matchMessage(last, "last_match") });
        if (name === "ticker" && tape.lastTicker !== undefined && this.options.tickerOnSubscribe !== false) this.sendRemembered(ws, { channel: "ticker", productId: p, text: tape.lastTicker });
      }
    }
  }

  /** A feed message to one connection, recorded in `sent` like a broadcast one. */
  private sendRemembered(ws: WebSocket, message: FeedMessage): void {
    void sendText(ws, message.text);
    this.remember(message);
  }

  private remember(message: FeedMessage): void {
    this.sent.push(message);
    if (this.sent.length > 110_000) this.sent.splice(0, 10_000);
  }

  private answerRest(req: IncomingMessage, res: ServerResponse): void {
    const at = Date.now();
    const answer = this.restAnswer(req);
    this.restRequests.push({
      path: req.url ?? "",
      productId: undefined,
      after: undefined,
      before: undefined,
      limit: undefined,
      injected: false,
      ...answer.record,
      status: answer.status,
      at,
      userAgent: req.headers["user-agent"],
    });
    const write = () => {
      if (res.destroyed) return;
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.body);
    };
    if (this.delayMs > 0) setTimeout(write, this.delayMs);
    else write();
  }

  private restAnswer(req: IncomingMessage): RestAnswer {
    const url = new URL(req.url ?? "/", "http://fake");
    const route = /^\/products\/([^/]+)\/trades$/.exec(url.pathname);
    const productId = route ? decodeURIComponent(route[1]!) : undefined;
    const query = pageQuery(url.searchParams);
    const record = { productId, after: query.after, before: query.before, limit: query.limit };
    // The public limit is the front door: it counts every request, whatever it asks for.
    if (this.limiter && !this.limiter.allow()) return { status: 429, body: JSON.stringify({ message: "Public rate limit exceeded" }), record };
    const fault = this.injected[0];
    if (fault) {
      if (--fault.remaining <= 0) this.injected.shift();
      return { status: fault.status, body: fault.body, headers: fault.headers, record: { ...record, injected: true } };
    }
    const notFound = { status: 404, body: JSON.stringify({ message: "NotFound" }), record };
    if (productId === undefined || req.method !== "GET") return notFound;
    if (query.problem !== undefined) return { status: 400, body: JSON.stringify({ message: query.problem }), record };
    const tape = this.tapes.get(productId);
    if (!tape) return notFound;
    const page = this.page(tape, query);
    const headers: Record<string, string> = {};
    if (page.length > 0) {
      headers["cb-before"] = String(page[0]!.trade_id);
      headers["cb-after"] = String(page[page.length - 1]!.trade_id);
    }
    return { status: 200, body: JSON.stringify(page.map(restTrade)), headers, record };
  }

  /** Newest first: below `after`, above `before` (the oldest of those), or the newest; never below the retention. */
  private page(tape: ProductTape, query: PageQuery): TapeTrade[] {
    const limit = query.limit ?? MAX_LIMIT;
    const floor = Math.max(0, (this.retention ?? 0) - tape.firstTradeId);
    const clamp = (i: number) => Math.min(tape.trades.length, Math.max(floor, i));
    let from: number;
    let to: number;
    if (query.before !== undefined) {
      from = clamp(query.before - tape.firstTradeId + 1);
      to = clamp(from + limit);
    } else {
      to = clamp(query.after === undefined ? tape.trades.length : query.after - tape.firstTradeId);
      from = clamp(to - limit);
    }
    return tape.trades.slice(from, to).reverse();
  }
}

interface PageQuery {
  readonly after: number | undefined;
  readonly before: number | undefined;
  readonly limit: number | undefined;
  readonly problem: string | undefined;
}

function pageQuery(params: URLSearchParams): PageQuery {
  const whole = (key: string) => {
    const text = params.get(key);
    if (text === null) return { value: undefined };
    return /^\d{1,15}$/.test(text) ? { value: Number(text) } : { value: undefined, problem: `Invalid ${key}: ${text}` };
  };
  const after = whole("after");
  const before = whole("before");
  const limit = whole("limit");
  let problem = after.problem ?? before.problem ?? limit.problem;
  if (problem === undefined && limit.value !== undefined && (limit.value < 1 || limit.value > MAX_LIMIT)) problem = `Invalid limit: ${limit.value} (1-${MAX_LIMIT})`;
  if (problem === undefined && after.value !== undefined && before.value !== undefined) problem = "after and before together are not supported by this fake";
  return { after: after.value, before: before.value, limit: limit.value, problem };
}

/** The channels of a subscribe: names (with the top-level product_ids) or {name, product_ids}. */
function requestedChannels(productIds: unknown, channels: unknown): { channels: Array<{ name: string; productIds: string[] }>; problem?: string } {
  const top = Array.isArray(productIds) ? productIds.filter((p): p is string => typeof p === "string") : [];
  if (!Array.isArray(channels) || channels.length === 0) return { channels: [], problem: "channels: expected a list" };
  const out: Array<{ name: string; productIds: string[] }> = [];
  for (const c of channels) {
    const name = typeof c === "string" ? c : typeof c === "object" && c !== null ? (c as { name?: unknown }).name : undefined;
    if (typeof name !== "string" || !CHANNELS.includes(name)) return { channels: [], problem: `${String(name)} is not a valid channel` };
    const own = typeof c === "object" && c !== null && Array.isArray((c as { product_ids?: unknown }).product_ids) ? ((c as { product_ids: unknown[] }).product_ids.filter((p) => typeof p === "string") as string[]) : top;
    if (own.length === 0) return { channels: [], problem: `${name}: no product_ids` };
    out.push({ name, productIds: own });
  }
  return { channels: out };
}

function sendText(socket: WebSocket, text: string): Promise<void> {
  if (socket.readyState !== WebSocket.OPEN) return Promise.resolve();
  return new Promise((resolve) => socket.send(text, () => resolve()));
}

function closeSocket(socket: WebSocket, how: "terminate" | { readonly code: number; readonly reason?: string }): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), 2_000);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    if (how === "terminate") socket.terminate();
    else socket.close(how.code, how.reason);
  });
}

/** `--rate` trades per second per product, `--products A,B`, `--seed`, `--disconnect-every` seconds. */
async function main(argv: string[]): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i]!.replace(/^--/, ""), argv[i + 1] ?? "");
  const fake = new FakeCoinbase({
    products: (args.get("products") ?? "BTC-USD,ETH-USD").split(","),
    seed: Number(args.get("seed") ?? 1),
    startTime: Date.now(),
    realTime: true,
    port: Number(args.get("port") ?? 0),
  });
  const urls = await fake.start();
  console.log(JSON.stringify(urls));
  const rate = Number(args.get("rate") ?? 5);
  const disconnectEvery = Number(args.get("disconnect-every") ?? 0) * 1000;
  let lastDrop = Date.now();
  const timer = setInterval(() => {
    if (disconnectEvery > 0 && Date.now() - lastDrop >= disconnectEvery) {
      lastDrop = Date.now();
      void fake.whileDisconnected(rate);
    } else {
      void fake.emit(rate);
    }
  }, 1000);
  const stop = () => {
    clearInterval(timer);
    void fake.stop().then(() => console.log(JSON.stringify({ trades: fake.allTrades().length, restRequests: fake.restRequests.length })));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) void main(process.argv.slice(2));
