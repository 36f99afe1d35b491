// Coinbase Exchange's public REST API, for filling gaps in a product's trade_id from its trades
// history: `GET /products/{product_id}/trades?after=<id>&limit=<n>`, newest first, every trade_id
// below `after`; `limit` ≤ 1000; the `CB-AFTER` header is the cursor of the next, older page
// (docs.cdp.coinbase.com/exchange/rest-api/pagination). Public endpoints are throttled per IP at
// 10 requests/s with bursts up to 15, a lazy-fill token bucket, answering 429 beyond it
// (docs.cdp.coinbase.com/exchange/rest-api/rate-limits): every request here first takes a token
// from a bucket of our own, shared by all calls of one client, so it stays under the limit
// instead of leaning on 429s.
//
// Failures that pass (429, 5xx, network errors, timeouts) are retried with capped exponential
// backoff and jitter, or after the server's Retry-After, until they have lasted giveUpAfterMs
// (RestUnavailable). What retrying cannot fix (another 4xx, a body that is not a list of trades)
// is thrown at once (RestRefused). Nothing secret is sent or logged: the API is public.
import { STATUS_CODES } from "node:http";
import { silentLogger, type Logger } from "../observability/log";
import { backoffDelay, sleep, type BackoffPolicy } from "../pipeline/backoff";

/** What one HTTP request came to, for the caller's counters. */
export type RestOutcome = "ok" | "rate_limited" | "server_error" | "network_error" | "refused";

export interface CoinbaseRestOptions {
  /** e.g. https://api.exchange.coinbase.com (a path prefix is kept). */
  readonly restUrl: string;
  readonly requestsPerSecond: number;
  readonly burst: number;
  /** One request (answer and body) slower than this is abandoned and retried. */
  readonly requestTimeoutMs: number;
  readonly retry: BackoffPolicy;
  /** Failing without a break for this long ends a call with RestUnavailable. */
  readonly giveUpAfterMs: number;
  readonly log?: Logger;
  readonly fetch?: typeof fetch;
  readonly onRequest?: (outcome: RestOutcome) => void;
  /** Coinbase's REST API wants one; the default names this program. */
  readonly userAgent?: string;
}

export interface TradesPage {
  /** The response's items as they came (newest first); the caller validates each trade. */
  readonly trades: unknown[];
  /** CB-AFTER: pass as `after` for the next, older page; undefined when absent or the page is empty. */
  readonly nextAfter: number | undefined;
  /** HTTP requests this page took, retries included. */
  readonly requests: number;
}

export const MAX_TRADES_PER_PAGE = 1000;
export const DEFAULT_USER_AGENT = "streamstack-ingest/0.1 (+trade backfill)";

/** The API kept failing (429, 5xx, network, timeouts) for giveUpAfterMs. */
export class RestUnavailable extends Error {
  override readonly name = "RestUnavailable";
  constructor(
    readonly url: string,
    readonly lastProblem: string,
    readonly failingForMs: number,
    readonly attempts: number,
  ) {
    super(`Coinbase REST unreachable for ${formatDuration(failingForMs)}: ${lastProblem} from ${url} (${attempts} attempts)`);
  }
}

/** The API refused the request, or answered with something that is not a page of trades; retrying will not help. */
export class RestRefused extends Error {
  override readonly name = "RestRefused";
  constructor(
    readonly status: number,
    readonly url: string,
    readonly detail: string,
  ) {
    super(`Coinbase REST refused GET ${url}: ${detail}`);
  }
}

/** The caller's signal fired. */
export class RestAborted extends Error {
  override readonly name = "RestAborted";
}

/**
 * A lazy-fill token bucket: `rate` tokens a second up to `burst`, counted when asked. A caller
 * that finds no token reserves the next one (the count goes below zero) and waits for it, so
 * waiters are served in order without a queue.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0) || !(burst >= 1)) throw new RangeError(`a token bucket needs a rate > 0 and a burst ≥ 1, got ${rate} and ${burst}`);
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Resolves when a token is ours; throws RestAborted (and gives the token back) if `signal` fires first. */
  async take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new RestAborted("aborted before the request was sent");
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    await sleep((-this.tokens / this.rate) * 1000, signal);
    if (signal?.aborted) {
      this.tokens += 1;
      throw new RestAborted("aborted while waiting for the rate limit");
    }
  }

  /** After a 429 the server's bucket is empty whatever ours says: start ours from empty too. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
  }
}

type Attempt =
  | { readonly kind: "ok"; readonly trades: unknown[]; readonly nextAfter: number | undefined }
  | { readonly kind: "retry"; readonly outcome: "rate_limited" | "server_error" | "network_error"; readonly problem: string; readonly retryAfterMs: number | undefined }
  | { readonly kind: "refused"; readonly error: RestRefused };

export class CoinbaseRest {
  private readonly bucket: TokenBucket;
  private readonly log: Logger;

  constructor(private readonly options: CoinbaseRestOptions) {
    this.bucket = new TokenBucket(options.requestsPerSecond, options.burst);
    this.log = options.log ?? silentLogger;
  }

  /** One page of `productId`'s trades older than `after` (the newest ones without it), newest first. */
  async tradesPage(productId: string, after: number | undefined, limit: number, signal?: AbortSignal): Promise<TradesPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TRADES_PER_PAGE) throw new RangeError(`limit: expected a whole number 1-${MAX_TRADES_PER_PAGE}, got ${limit}`);
    if (after !== undefined && !(Number.isSafeInteger(after) && after > 0)) throw new RangeError(`after: expected a trade id (a whole number > 0), got ${after}`);
    const url = this.tradesUrl(productId, after, limit);
    let failingSince: number | undefined;
    for (let attempt = 0; ; attempt++) {
      await this.bucket.take(signal);
      const started = Date.now();
      const result = await this.attempt(url, signal);
      this.options.onRequest?.(result.kind === "retry" ? result.outcome : result.kind);
      if (result.kind === "refused") throw result.error;
      if (result.kind === "ok") {
        if (attempt > 0) this.log.info("Coinbase REST answers again", { product_id: productId, after_attempts: attempt + 1 });
        return { trades: result.trades, nextAfter: result.nextAfter, requests: attempt + 1 };
      }
      if (result.outcome === "rate_limited") this.bucket.drain();
      failingSince ??= started;
      const failingFor = Date.now() - failingSince;
      if (failingFor >= this.options.giveUpAfterMs) throw new RestUnavailable(url, result.problem, failingFor, attempt + 1);
      const wanted = result.retryAfterMs ?? backoffDelay(this.options.retry, attempt);
      const delay = Math.min(wanted, this.options.giveUpAfterMs - failingFor);
      if (attempt < 3 || attempt % 10 === 0) {
        this.log.warn("Coinbase REST request failed; retrying", {
          product_id: productId,
          attempt: attempt + 1,
          retry_in_ms: Math.round(delay),
          retry_after_ms: result.retryAfterMs,
          reason: result.problem,
        });
      }
      await sleep(delay, signal);
      if (signal?.aborted) throw new RestAborted(`GET ${url} aborted while waiting to retry`);
    }
  }

  private tradesUrl(productId: string, after: number | undefined, limit: number): string {
    const base = new URL(this.options.restUrl);
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    const url = new URL(`products/${encodeURIComponent(productId)}/trades`, base);
    if (after !== undefined) url.searchParams.set("after", String(after));
    url.searchParams.set("limit", String(limit));
    return url.toString();
  }

  /** One HTTP request, answer and body within requestTimeoutMs; the caller's signal aborts it at once. */
  private async attempt(url: string, signal: AbortSignal | undefined): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.requestTimeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const response = await (this.options.fetch ?? fetch)(url, {
        headers: { accept: "application/json", "user-agent": this.options.userAgent ?? DEFAULT_USER_AGENT },
        signal: controller.signal,
      });
      const body = await response.text();
      return classify(response, body, url);
    } catch (err) {
      if (signal?.aborted) throw new RestAborted(`GET ${url} aborted`);
      const problem = controller.signal.aborted ? `no answer within ${this.options.requestTimeoutMs} ms` : `network error: ${describeError(err)}`;
      return { kind: "retry", outcome: "network_error", problem, retryAfterMs: undefined };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

function classify(response: Response, body: string, url: string): Attempt {
  const status = response.status;
  const statusLine = `${status} ${response.statusText || STATUS_CODES[status] || ""}`.trim();
  if (status === 429 || status >= 500) {
    return {
      kind: "retry",
      outcome: status === 429 ? "rate_limited" : "server_error",
      problem: withServerMessage(statusLine, body),
      retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
    };
  }
  if (status < 200 || status > 299) return { kind: "refused", error: new RestRefused(status, url, withServerMessage(statusLine, body)) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: "refused", error: new RestRefused(status, url, `${statusLine} but the body is not JSON: ${snippet(body)}`) };
  }
  if (!Array.isArray(parsed)) {
    const what = parsed === null ? "null" : typeof parsed === "object" ? "a JSON object" : `a JSON ${typeof parsed}`;
    return { kind: "refused", error: new RestRefused(status, url, `${statusLine} but the body is ${what}, not a JSON array of trades: ${snippet(body)}`) };
  }
  const cursor = response.headers.get("cb-after")?.trim();
  if (parsed.length === 0 || cursor === undefined) return { kind: "ok", trades: parsed, nextAfter: undefined };
  // The next request is built from it: a cursor that is not a trade id must not be guessed around.
  if (!/^\d{1,15}$/.test(cursor)) return { kind: "refused", error: new RestRefused(status, url, `${statusLine} but the CB-AFTER header is not a trade id: ${snippet(cursor)}`) };
  return { kind: "ok", trades: parsed, nextAfter: Number(cursor) };
}

/** "404 Not Found: NotFound" when the body is Coinbase's {"message": …}, else the status and a bit of the body. */
function withServerMessage(statusLine: string, body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    const message = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>).message : undefined;
    if (typeof message === "string" && message.length > 0) return `${statusLine}: ${message.slice(0, 300)}`;
  } catch {
    // not JSON: the snippet below
  }
  return body.trim().length > 0 ? `${statusLine}: ${snippet(body)}` : statusLine;
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function snippet(body: string): string {
  const text = body.trim();
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/** fetch's own error is "fetch failed"; the reason (ECONNREFUSED, a reset, …) is its cause. */
function describeError(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause : err;
  const code = (inner as { code?: unknown }).code;
  const message = inner instanceof Error ? inner.message : String(inner);
  return typeof code === "string" && !message.includes(code) ? `${code} ${message}` : message;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`;
}
