// A local stand-in for the Coinbase websocket, for benchmarks: acks the subscribe, then streams
// Coinbase-shaped tickers (realistic sequence jumps) either as fast as the socket takes them
// (--count N) or at a fixed rate (--rate R --seconds S). Prints {"port": …} when listening and
// {"sent": …} when done. Run in its own process so it does not share the ingester's CPU core.
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1]!);
const count = Number(args.get("count") ?? 0);
const rate = Number(args.get("rate") ?? 0);
const seconds = Number(args.get("seconds") ?? 0);
const PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"];

class Tickers {
  private readonly seq = PRODUCTS.map((_, i) => 90_000_000_000 + i * 1_000_000_000);
  private readonly trade = PRODUCTS.map((_, i) => 700_000_000 + i * 10_000_000);
  private n = 0;
  next(): string {
    const i = this.n++ % PRODUCTS.length;
    this.seq[i]! += 1 + (this.n % 37);
    this.trade[i]! += 1 + (this.n % 3);
    const now = new Date().toISOString().replace("Z", `${String(this.n % 1000).padStart(3, "0")}Z`);
    const price = (91_000 + (this.n % 1000) / 10).toFixed(2);
    return `{"type":"ticker","sequence":${this.seq[i]},"product_id":"${PRODUCTS[i]}","price":"${price}","open_24h":"90012.11","volume_24h":"10234.56781234","low_24h":"89500.00","high_24h":"92000.00","volume_30d":"312345.12345678","best_bid":"${price}","best_bid_size":"0.84961386","best_ask":"${price}","best_ask_size":"1.65387740","side":"${this.n % 2 ? "buy" : "sell"}","time":"${now}","trade_id":${this.trade[i]},"last_size":"0.04536560"}`;
  }
}

function streamMax(socket: WebSocket, total: number, done: (sent: number) => void): void {
  const gen = new Tickers();
  let sent = 0;
  const pump = () => {
    while (sent < total && socket.bufferedAmount < 4 * 1024 * 1024) {
      socket.send(gen.next());
      sent++;
    }
    if (sent >= total) return done(sent);
    setTimeout(pump, 1);
  };
  pump();
}

function streamRate(socket: WebSocket, perSecond: number, forSeconds: number, done: (sent: number) => void): void {
  const gen = new Tickers();
  const started = Date.now();
  let sent = 0;
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    const due = Math.min(Math.floor((elapsed / 1000) * perSecond), perSecond * forSeconds);
    while (sent < due) {
      socket.send(gen.next());
      sent++;
    }
    if (elapsed >= forSeconds * 1000) {
      clearInterval(timer);
      done(sent);
    }
  }, 5);
}

const server = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
server.on("listening", () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
server.on("connection", (socket) => {
  socket.once("message", () => {
    socket.send(JSON.stringify({ type: "subscriptions", channels: [{ name: "ticker", product_ids: PRODUCTS }] }));
    const done = (sent: number) => console.log(JSON.stringify({ sent }));
    if (count > 0) streamMax(socket, count, done);
    else streamRate(socket, rate, seconds, done);
    // Heartbeats keep the ingester's watchdog quiet after the stream ends.
    const beat = setInterval(() => socket.send(JSON.stringify({ type: "heartbeat", product_id: "BTC-USD", sequence: 1, last_trade_id: 0, time: new Date().toISOString() })), 1000);
    socket.on("close", () => clearInterval(beat));
  });
});
