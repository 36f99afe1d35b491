// Capped exponential backoff with "equal jitter": half the delay fixed, half random, so many
// clients retrying together spread out but none retries immediately.
export interface BackoffPolicy {
  readonly initial_ms: number;
  readonly max_ms: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const capped = Math.min(policy.max_ms, policy.initial_ms * 2 ** Math.min(attempt, 30));
  return capped / 2 + (capped / 2) * random();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
