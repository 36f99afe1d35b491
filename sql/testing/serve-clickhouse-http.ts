// Runs a fresh, migrated embedded ClickHouse in this process behind ClickHouse's HTTP interface,
// so another process can use it as it would use a server (the ingester's benchmark does: its
// production sink, @clickhouse/client over HTTP, with the engine's CPU and memory in their own
// process, as in the container).
//   node --import tsx sql/testing/serve-clickhouse-http.ts --user U --password P
// Prints one JSON line {"host", "port", "dir"} once it accepts requests; stops on SIGTERM/SIGINT
// and deletes the data directory.
import { openMigratedEngine } from "./engine";
import { serveClickHouseHttp } from "./clickhouse-http";

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    const value = i > 0 ? process.argv[i + 1] : undefined;
    if (!value) throw new Error(`serve-clickhouse-http: --${name} is required`);
    return value;
  };
  const user = arg("user");
  const password = arg("password");
  const engine = await openMigratedEngine();
  const endpoint = await serveClickHouseHttp({ dir: engine.dir, user, password });
  console.log(JSON.stringify({ host: endpoint.host, port: endpoint.port, dir: engine.dir }));
  const stop = async () => {
    await endpoint.close();
    await engine.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
}

main().catch((err: Error) => {
  console.error(`serve-clickhouse-http: ${err.message}`);
  process.exit(1);
});
