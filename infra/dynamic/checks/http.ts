// Small fetch helpers for the checks: a timeout on every request, and errors that say which URL
// could not be reached (never the credentials).
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export async function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<HttpAnswer> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
  return { status: response.status, body: await response.text() };
}

export function basicAuth(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

/** "connect ECONNREFUSED 127.0.0.1:3000" rather than "fetch failed". */
export function reason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.message ?? e.cause?.code;
  return cause ? `${e.message} (${cause})` : e.message;
}

export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
