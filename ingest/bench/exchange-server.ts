// A local stand-in for the Coinbase websocket, for benchmarks: acks the subscribe, then streams
// Coinbase-shaped tickers (Coinbase's key order, realistic sequence jumps) either as fast as the
// socket takes them (--count N) or at a fixed rate (--rate R --seconds S). With --matches, each
// ticker comes after the 1–3 `match` messages of its trades (Coinbase's key order, version-4 UUID
// order ids, decimal strings, contiguous trade_id per product; the ticker's trade_id is its last
// match's), as the feed sends them with `matches` + `ticker` subscribed; N and R count messages of
// both kinds. Prints {"port", "messages", "tickers", "trades"} when listening (the counts of a
// --count stream), {"streaming": true} when the subscribe arrived and the stream starts, and
// {"sent", "tickers", "trades"} when done. Run in its own process.
//
// The load generator must cost as little CPU as possible, since it shares the machine with the
// ingester it measures: so this is a minimal RFC 6455 server rather than the `ws` library. For
// --count, every message is generated and framed before the client connects, and the frames go
// out in 256 KiB writes; at a rate, each 5 ms tick writes its due frames in one write. (Frames
// from a server are not masked, so a frame is a 2- or 4-byte header and the text.)
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** `--name value` pairs; a `--flag` followed by another option (or nothing) is `true`. */
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i]!.replace(/^--/, "");
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith("--")) args.set(name, "true");
  else args.set(name, (i++, value));
}
const count = Number(args.get("count") ?? 0);
const rate = Number(args.get("rate") ?? 0);
const seconds = Number(args.get("seconds") ?? 0);
const withMatches = args.get("matches") === "true";
const PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"];
const WRITE_BYTES = 256 * 1024;

/** Feed messages one at a time: a ticker, or with --matches its 1–3 matches first. Template strings only: the generator must stay cheap. */
class Feed {
  private readonly seq = PRODUCTS.map((_, i) => 90_000_000_000 + i * 1_000_000_000);
  private readonly trade = PRODUCTS.map((_, i) => 700_000_000 + i * 10_000_000);
  private n = 0;
  private readonly queue: string[] = [];
  tickers = 0;
  trades = 0;

  constructor(private readonly matches: boolean) {}

  next(nowMs: number): string {
    if (this.queue.length === 0) this.group(nowMs);
    return this.queue.shift()!;
  }

  /** Messages of the current group not handed out yet. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * One ticker's messages. Ticker only: the sequence and trade_id jump as on the real feed (the
   * same stream as before --matches existed). With matches: a match per trade (contiguous
   * trade_ids, each its own sequence), then the ticker with the last match's sequence, trade_id,
   * price and size.
   */
  private group(nowMs: number): void {
    const i = this.n++ % PRODUCTS.length;
    const product = PRODUCTS[i]!;
    const trades = 1 + (this.n % 3);
    const time = new Date(nowMs).toISOString().replace("Z", `${String(this.n % 1000).padStart(3, "0")}Z`);
    const price = (91_000 + (this.n % 1000) / 10).toFixed(2);
    let size = "0.04536560";
    if (!this.matches) {
      this.seq[i]! += 1 + (this.n % 37);
      this.trade[i]! += trades;
    }
    for (let k = 0; this.matches && k < trades; k++) {
      const m = this.trades++;
      this.seq[i]! += 1 + ((this.n + k) % 13);
      this.trade[i]! += 1;
      size = `0.${String(100_000 + (m % 899_999)).padStart(8, "0")}`;
      this.queue.push(
        `{"type":"match","trade_id":${this.trade[i]},"maker_order_id":"${uuid(2 * m)}","taker_order_id":"${uuid(2 * m + 1)}","side":"${m % 2 ? "buy" : "sell"}","size":"${size}","price":"${price}","product_id":"${product}","sequence":${this.seq[i]},"time":"${time}"}`,
      );
    }
    this.tickers++;
    this.queue.push(
      `{"type":"ticker","sequence":${this.seq[i]},"product_id":"${product}","price":"${price}","open_24h":"90012.11","volume_24h":"10234.56781234","low_24h":"89500.00","high_24h":"92000.00","volume_30d":"312345.12345678","best_bid":"${price}","best_bid_size":"0.84961386","best_ask":"${price}","best_ask_size":"1.65387740","side":"${this.n % 2 ? "buy" : "sell"}","time":"${time}","trade_id":${this.trade[i]},"last_size":"${size}"}`,
    );
  }
}

/** A version-4 UUID made from a counter (valid form; unique per counter value). */
function uuid(n: number): string {
  const hex = n.toString(16).padStart(20, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-8${hex.slice(15, 18)}-0000${hex.slice(18, 20)}${hex.slice(0, 6)}`;
}

/** One unmasked text frame (opcode 1, FIN). */
function frame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
  if (payload.length > 0xffff) throw new Error("bench frames are below 64 KiB");
  return Buffer.concat([header, payload]);
}

/** Frames packed into chunks of about WRITE_BYTES (frames are never split across chunks). */
function pack(frames: Buffer[]): Buffer[] {
  const chunks: Buffer[] = [];
  let pending: Buffer[] = [];
  let size = 0;
  for (const f of frames) {
    pending.push(f);
    size += f.length;
    if (size >= WRITE_BYTES) {
      chunks.push(Buffer.concat(pending, size));
      pending = [];
      size = 0;
    }
  }
  if (size > 0) chunks.push(Buffer.concat(pending, size));
  return chunks;
}

function streamMax(socket: Socket, chunks: Buffer[], total: number, done: (sent: number) => void): void {
  let next = 0;
  const pump = () => {
    while (next < chunks.length) {
      const ok = socket.write(chunks[next++]!);
      if (!ok) return void socket.once("drain", pump);
    }
    done(total);
  };
  pump();
}

function streamRate(socket: Socket, perSecond: number, forSeconds: number, done: (sent: number) => void): void {
  const gen = feed;
  const started = Date.now();
  let sent = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const elapsed = now - started;
    const due = Math.min(Math.floor((elapsed / 1000) * perSecond), perSecond * forSeconds);
    const frames: Buffer[] = [];
    while (sent < due) {
      frames.push(frame(gen.next(now)));
      sent++;
    }
    if (frames.length > 0) socket.write(Buffer.concat(frames));
    if (elapsed >= forSeconds * 1000) {
      clearInterval(timer);
      done(sent);
    }
  }, 5);
}

const feed = new Feed(withMatches);
// For --count: everything generated and framed up front, before the client connects. A ticker's
// matches are never cut from it: the stream ends with a whole group (at most 3 messages past N).
const prebuilt = count > 0 ? (() => {
  const start = Date.now();
  const frames: Buffer[] = [];
  for (let i = 0; i < count || feed.pending > 0; i++) frames.push(frame(feed.next(start + Math.floor(i / 100))));
  return pack(frames);
})() : [];
const prebuiltCounts = { messages: feed.tickers + feed.trades, tickers: feed.tickers, trades: feed.trades };

const server = createServer((_req, res) => res.writeHead(426).end("websocket only"));
server.on("upgrade", (req, socket: Socket) => {
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string") return void socket.destroy();
  const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  socket.setNoDelay(true);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let subscribed = false;
  let beat: NodeJS.Timeout | undefined;
  socket.on("data", (data: Buffer) => {
    const opcode = data[0]! & 0x0f;
    if (opcode === 8) return void socket.end(Buffer.from([0x88, 0])); // close → close
    if (subscribed || opcode !== 1) return; // the subscribe is the first text frame; nothing else matters
    subscribed = true;
    console.log(JSON.stringify({ streaming: true }));
    const channels = (withMatches ? ["ticker", "matches"] : ["ticker"]).map((name) => ({ name, product_ids: PRODUCTS }));
    socket.write(frame(JSON.stringify({ type: "subscriptions", channels })));
    const done = (sent: number) => console.log(JSON.stringify({ sent, tickers: feed.tickers, trades: feed.trades }));
    if (count > 0) streamMax(socket, prebuilt, prebuiltCounts.messages, done);
    else streamRate(socket, rate, seconds, done);
    // Heartbeats keep the ingester's watchdog quiet after the stream ends.
    beat = setInterval(() => socket.write(frame(JSON.stringify({ type: "heartbeat", product_id: "BTC-USD", sequence: 1, last_trade_id: 0, time: new Date().toISOString() }))), 1000);
  });
  socket.on("error", () => undefined);
  socket.on("close", () => clearInterval(beat));
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port, ...prebuiltCounts })));
