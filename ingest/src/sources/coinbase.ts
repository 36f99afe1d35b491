// The Coinbase Exchange websocket: subscribe (heartbeat always added), require the
// `subscriptions` ack in time, reconnect forever with capped exponential backoff and jitter,
// and reconnect when the feed goes silent (watchdog). Every reconnect resubscribes.
import WebSocket from "ws";
import type { CoinbaseSourceConfig } from "../config/schema";
import type { Logger } from "../observability/log";
import type { IngestMetrics } from "../observability/metrics";
import { backoffDelay } from "../pipeline/backoff";
import type { MessageHandler, Source, SourceHealth } from "./source";

type State = "idle" | "connecting" | "subscribing" | "streaming" | "waiting" | "stopped";

export class CoinbaseSource implements Source {
  readonly name = "coinbase";
  readonly finished = undefined;
  private socket: WebSocket | undefined;
  private state: State = "idle";
  private attempt = 0;
  private lastMessageAt = 0;
  private openedAt = 0;
  private lastProblem = "not connected yet";
  private watchdog: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private handler: MessageHandler | undefined;
  private everStreamed = false;

  constructor(
    private readonly config: CoinbaseSourceConfig,
    private readonly log: Logger,
    private readonly metrics: IngestMetrics,
  ) {}

  /** The subscribe request sent on every (re)connect. */
  subscribeMessage(): { type: "subscribe"; product_ids: string[]; channels: string[] } {
    const channels = [...new Set([...this.config.subscription.channels, "heartbeat"])];
    return { type: "subscribe", product_ids: [...this.config.subscription.product_ids], channels };
  }

  start(handler: MessageHandler): void {
    this.handler = handler;
    this.connect();
  }

  private connect(): void {
    if (this.state === "stopped") return;
    this.state = "connecting";
    this.log.info("connecting to the exchange", { url: this.config.wss_url, attempt: this.attempt + 1 });
    // maxPayload: a ticker is < 1 KB; a runaway frame must not take the heap (ws default is 100 MiB).
    // skipUTF8Validation: the text is decoded once anyway (toString below), and a message with
    // bytes that are not UTF-8 then reaches decode with U+FFFD in their place and is checked and
    // dead-lettered like any bad message — instead of ws closing the connection over it (1007).
    const socket = new WebSocket(this.config.wss_url, {
      handshakeTimeout: this.config.subscribe_timeout_ms,
      perMessageDeflate: false,
      maxPayload: 1024 * 1024,
      skipUTF8Validation: true,
    });
    this.socket = socket;
    socket.on("open", () => {
      if (socket !== this.socket) return;
      this.state = "subscribing";
      socket.send(JSON.stringify(this.subscribeMessage()));
      this.ackTimer = setTimeout(() => this.fail(socket, `no subscriptions ack within ${this.config.subscribe_timeout_ms} ms`), this.config.subscribe_timeout_ms);
      this.openedAt = Date.now();
      this.armWatchdog(socket, this.config.watchdog_seconds * 1000);
    });
    socket.on("message", (data, isBinary) => {
      if (socket !== this.socket) return;
      const receivedAt = Date.now();
      this.lastMessageAt = receivedAt;
      const raw = isBinary ? Buffer.from(data as Buffer).toString("utf8") : data.toString();
      const decoded = this.handler!.handle(raw, receivedAt);
      if (decoded.kind === "subscriptions" && this.state === "subscribing") {
        clearTimeout(this.ackTimer);
        this.state = "streaming";
        this.attempt = 0;
        this.everStreamed = true;
        this.metrics.sourceConnected.set(1);
        this.log.info("subscribed", { channels: this.subscribeMessage().channels, product_ids: this.config.subscription.product_ids });
      } else if (decoded.kind === "error" && this.state === "subscribing") {
        // E.g. "Failed to subscribe: FOO-BAR is not a valid product": retried with backoff, and
        // visible in the log, dead letters and /healthz until the config is fixed.
        this.fail(socket, `the exchange refused the subscription: ${decoded.message}`);
      }
    });
    socket.on("error", (err) => {
      if (socket !== this.socket) return;
      this.fail(socket, `websocket error: ${err.message}`);
    });
    socket.on("close", (code, reason) => {
      if (socket !== this.socket) return;
      this.fail(socket, `connection closed by the server (code ${code}${reason.length > 0 ? `, ${reason.toString()}` : ""})`);
    });
  }

  /**
   * Fails the connection once nothing arrived for watchdog_seconds since it opened or since its
   * last message. Messages only move lastMessageAt: re-arming a timer per message cost ≈ 0.5 µs,
   * 5% of the per-message budget. A timer that fires inside a live window re-arms for the rest.
   */
  private armWatchdog(socket: WebSocket, inMs: number): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (socket !== this.socket) return;
      const left = Math.max(this.openedAt, this.lastMessageAt) + this.config.watchdog_seconds * 1000 - Date.now();
      if (left > 0) this.armWatchdog(socket, left);
      else this.fail(socket, `no message for ${this.config.watchdog_seconds} s (watchdog)`);
    }, inMs);
  }

  /** Drops the connection and schedules the next attempt. */
  private fail(socket: WebSocket, problem: string): void {
    if (socket !== this.socket || this.state === "stopped") return;
    clearTimeout(this.ackTimer);
    clearTimeout(this.watchdog);
    this.socket = undefined;
    socket.removeAllListeners();
    socket.on("error", () => undefined);
    socket.terminate();
    const wasStreaming = this.state === "streaming";
    this.lastProblem = problem;
    this.metrics.sourceConnected.set(0);
    if (wasStreaming || this.everStreamed) {
      this.metrics.reconnect();
      this.handler?.connectionLost();
    }
    const delay = backoffDelay(this.config.backoff, this.attempt++);
    this.state = "waiting";
    this.log.warn("exchange connection lost; reconnecting", { reason: problem, retry_in_ms: Math.round(delay), attempt: this.attempt });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  async stop(): Promise<void> {
    this.state = "stopped";
    clearTimeout(this.ackTimer);
    clearTimeout(this.watchdog);
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.metrics.sourceConnected.set(0);
    if (!socket) return;
    socket.removeAllListeners();
    socket.on("error", () => undefined);
    if (socket.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.terminate();
          resolve();
        }, 1000);
        socket.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        socket.close(1000, "ingester stopping");
      });
    } else {
      socket.terminate();
    }
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  health(): SourceHealth {
    if (this.state === "streaming") {
      const silentFor = Date.now() - this.lastMessageAt;
      return { ok: true, detail: `streaming, last message ${silentFor} ms ago` };
    }
    return { ok: false, detail: `${this.state}: ${this.lastProblem}` };
  }
}
