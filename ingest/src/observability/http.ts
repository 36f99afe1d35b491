// /metrics (Prometheus text) and /healthz (200 or 503 with the reasons) for the container's
// healthcheck and for scraping.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { IngestMetrics } from "./metrics";

export interface HealthReport {
  readonly ok: boolean;
  readonly source: string;
  readonly sink: string;
  readonly problems: readonly string[];
}

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttp(options: { host: string; port: number; metrics: IngestMetrics; health: () => HealthReport }): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      const report = options.health();
      res.writeHead(report.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(report));
      return;
    }
    if (path === "/metrics") {
      options.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": options.metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(err.message),
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /healthz or /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(`Cannot serve /metrics and /healthz on ${options.host}:${options.port} (metrics.port): ${err.code === "EADDRINUSE" ? "the port is in use; pick another metrics.port" : err.message}`)),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
