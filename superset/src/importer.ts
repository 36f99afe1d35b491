// Talks to Superset's REST API as the Pulumi program and the tests need: log in, import the
// assets bundle (the assets import always overwrites objects with the same uuid), find objects
// by uuid, delete them. Auth (FACTS.md, Superset): POST /api/v1/security/login → access_token;
// GET /api/v1/security/csrf_token/ → token + session cookie; every write then carries
// Authorization, X-CSRFToken and the same cookie, or Superset answers 302 to /login/.
import type { AssetUuids } from "./bundle";

export interface SupersetLogin {
  /** e.g. http://127.0.0.1:8088 (no trailing path). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

export interface SupersetClientOptions {
  /** How long to keep retrying while Superset is not answering yet (ms). Default 120 s. */
  readonly readyTimeoutMs?: number;
  /** Progress lines; never given a secret. */
  readonly log?: (line: string) => void;
}

export type AssetKind = "dashboard" | "chart" | "dataset" | "database";

/** A Superset API call answered with an unexpected status. */
export class SupersetApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

/** Encodes the small subset of Rison Superset's `q` parameter needs (objects, arrays, strings, numbers). */
export function rison(value: unknown): string {
  if (Array.isArray(value)) return `!(${value.map(rison).join(",")})`;
  if (value === null) return "!n";
  if (typeof value === "boolean") return value ? "!t" : "!f";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    if (/^[A-Za-z_][A-Za-z0-9_.\-/~]*$/.test(value) && !/^[-0-9]/.test(value)) return value;
    return `'${value.replace(/!/g, "!!").replace(/'/g, "!'")}'`;
  }
  if (typeof value === "object") {
    return `(${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${rison(k)}:${rison(v)}`)
      .join(",")})`;
  }
  throw new Error(`rison: cannot encode ${typeof value}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class SupersetClient {
  private cookies = new Map<string, string>();
  private accessToken = "";
  private csrfToken = "";

  private constructor(
    readonly url: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Logs in (waiting for Superset to answer) and fetches a CSRF token. */
  static async connect(login: SupersetLogin, options: SupersetClientOptions = {}): Promise<SupersetClient> {
    let base: URL;
    try {
      base = new URL(login.url);
    } catch {
      throw new Error(`Superset url "${login.url}" is not a URL: expected e.g. http://127.0.0.1:8088`);
    }
    if (!login.username) throw new Error("Superset admin username is empty");
    if (!login.password) throw new Error(`Superset password for "${login.username}" is empty`);
    const client = new SupersetClient(base.origin, options.log ?? (() => undefined));
    await client.waitUntilHealthy(options.readyTimeoutMs ?? 120_000);
    await client.login(login.username, login.password);
    return client;
  }

  private async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(5_000) });
        if (res.ok) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`Superset at ${this.url} did not answer /health within ${Math.round(timeoutMs / 1000)} s (last: ${last}). Is it running and is the url right?`);
      }
      await sleep(1_000);
    }
  }

  private async login(username: string, password: string): Promise<void> {
    const res = await this.raw("POST", "/api/v1/security/login", {
      json: { username, password, provider: "db", refresh: true },
      auth: false,
    });
    if (res.status === 401) throw new SupersetApiError(`Superset refused the login of "${username}" (401): check the admin user and password`, 401, "");
    const body = await this.expectJson<{ access_token?: string }>(res, "POST /api/v1/security/login");
    if (!body.access_token) throw new Error("Superset's login answer has no access_token");
    this.accessToken = body.access_token;
    const csrf = await this.expectJson<{ result?: string }>(await this.raw("GET", "/api/v1/security/csrf_token/"), "GET /api/v1/security/csrf_token/");
    if (!csrf.result) throw new Error("Superset's csrf_token answer has no result");
    this.csrfToken = csrf.result;
    this.log(`logged in to Superset at ${this.url} as ${username}`);
  }

  private async raw(
    method: string,
    path: string,
    options: { json?: unknown; form?: FormData; auth?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", Referer: `${this.url}/` };
    if (options.auth !== false && this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    if (this.csrfToken) headers["X-CSRFToken"] = this.csrfToken;
    if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form) body = options.form;
    const res = await this.fetchRetryingStaleSockets(`${this.url}${path}`, { method, headers, body, redirect: "manual" });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair!.indexOf("=");
      if (eq > 0) this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location") ?? "";
      throw new SupersetApiError(
        `${method} ${path} was redirected to ${location || "elsewhere"} (${res.status}): Superset did not accept the session ` +
          `(missing CSRF token or cookie, or the login expired)`,
        res.status,
        "",
      );
    }
    return res;
  }

  // gunicorn closes idle keep-alive connections after a few seconds; a request that lands on
  // such a socket fails before the server saw it ("other side closed"), so it is safe to resend.
  private async fetchRetryingStaleSockets(url: string, init: RequestInit): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
      } catch (err) {
        const code = ((err as Error).cause as { code?: string } | undefined)?.code;
        const stale = code === "UND_ERR_SOCKET" || code === "ECONNRESET";
        if (!stale || attempt >= 3) throw err;
      }
    }
  }

  private async expectJson<T>(res: Response, what: string): Promise<T> {
    const text = await res.text();
    if (!res.ok) throw new SupersetApiError(`${what} answered ${res.status}: ${text.slice(0, 500)}`, res.status, text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SupersetApiError(`${what} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`, res.status, text);
    }
  }

  async getJson<T>(path: string): Promise<T> {
    return this.expectJson<T>(await this.raw("GET", path), `GET ${path}`);
  }

  async postJson<T>(path: string, json: unknown): Promise<T> {
    return this.expectJson<T>(await this.raw("POST", path, { json }), `POST ${path}`);
  }

  /**
   * POST /api/v1/assets/import/: creates or overwrites every object in the bundle (matched by
   * uuid). `passwords` maps a database file in the bundle (e.g. databases/x.yaml) to its password.
   */
  async importBundle(zip: Buffer, passwords: Record<string, string>): Promise<void> {
    const form = new FormData();
    form.append("bundle", new Blob([zip], { type: "application/zip" }), "bundle.zip");
    form.append("passwords", JSON.stringify(passwords));
    const res = await this.raw("POST", "/api/v1/assets/import/", { form });
    const text = await res.text();
    if (res.ok) {
      this.log(`imported the assets bundle (${zip.length} bytes)`);
      return;
    }
    const hint =
      res.status === 500
        ? " Superset answers 500 to every validation error; the cause (e.g. \"Schema validation failed\" or a missing module) is in Superset's own log."
        : "";
    throw new SupersetApiError(`Superset refused the assets import (${res.status}): ${text.slice(0, 500)}.${hint}`, res.status, text);
  }

  /** The numeric id of the object with this uuid, or undefined when there is none. */
  async findId(kind: AssetKind, uuid: string): Promise<number | undefined> {
    const q = rison({ filters: [{ col: "uuid", opr: "eq", value: uuid }], columns: ["id", "uuid"], page_size: 100 });
    const body = await this.getJson<{ result: Array<{ id: number; uuid: string }> }>(`/api/v1/${kind}/?q=${encodeURIComponent(q)}`);
    return body.result.find((r) => String(r.uuid) === uuid)?.id;
  }

  /** Deletes one object; false when it did not exist. */
  async deleteById(kind: AssetKind, id: number): Promise<boolean> {
    const res = await this.raw("DELETE", `/api/v1/${kind}/${id}`);
    if (res.status === 404) return false;
    await this.expectJson(res, `DELETE /api/v1/${kind}/${id}`);
    return true;
  }

  /**
   * Deletes the given objects, dependants first (dashboards, charts, datasets, database), so each
   * delete is allowed. Objects already gone are skipped. Returns the uuids actually deleted.
   */
  async deleteAssets(uuids: Partial<AssetUuids>): Promise<string[]> {
    const deleted: string[] = [];
    const order: Array<[AssetKind, readonly string[]]> = [
      ["dashboard", uuids.dashboards ?? []],
      ["chart", uuids.charts ?? []],
      ["dataset", uuids.datasets ?? []],
      ["database", uuids.database ? [uuids.database] : []],
    ];
    for (const [kind, list] of order) {
      for (const uuid of list) {
        const id = await this.findId(kind, uuid);
        if (id === undefined) continue;
        try {
          if (await this.deleteById(kind, id)) deleted.push(uuid);
        } catch (err) {
          throw new Error(
            `Could not delete Superset ${kind} ${uuid} (id ${id}): ${(err as Error).message}. ` +
              `If someone built their own charts or datasets on it, delete or move those first.`,
          );
        }
      }
    }
    this.log(`deleted ${deleted.length} Superset objects`);
    return deleted;
  }
}

/** Every uuid in `before` that is not in `after`: what an update must delete after importing. */
export function removedUuids(before: AssetUuids, after: AssetUuids): AssetUuids {
  const gone = (a: readonly string[], b: readonly string[]) => a.filter((u) => !b.includes(u));
  return {
    database: before.database !== after.database ? before.database : "",
    datasets: gone(before.datasets, after.datasets),
    charts: gone(before.charts, after.charts),
    dashboards: gone(before.dashboards, after.dashboards),
  };
}
