// Runs the embedded ClickHouse in this process behind ClickHouse's HTTP interface, so another
// process can use it as it would use a server. The ingester's benchmark does: its production sink
// (@clickhouse/client over HTTP) writes into an engine whose CPU and memory are its own process's,
// as in the container — and killing this process is a real ClickHouse outage.
//   node --import tsx sql/testing/serve-clickhouse-http.ts --user U --password P [--dir D] [--port N] [--discard-inserts]
// Without --dir: a fresh, migrated engine in a temporary directory, deleted at exit. With --dir:
// that directory (migrated if it is new), kept. Prints one JSON line {"host", "port", "dir"} once
// it accepts requests; stops on SIGTERM/SIGINT.
import { openMigratedEngine } from "./engine";
import { serveClickHouseHttp } from "./clickhouse-http";

async function main(): Promise<void> {
  const option = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const required = (name: string) => {
    const value = option(name);
    if (!value) throw new Error(`--${name} is required`);
    return value;
  };
  const dir = option("dir");
  const engine = await openMigratedEngine(dir ? { dir } : {});
  const endpoint = await serveClickHouseHttp({
    dir: engine.dir,
    user: required("user"),
    password: required("password"),
    port: Number(option("port") ?? 0),
    discardInserts: process.argv.includes("--discard-inserts"),
  });
  console.log(JSON.stringify({ host: endpoint.host, port: endpoint.port, dir: engine.dir }));
  const stop = async () => {
    await endpoint.close();
    await engine.close({ keepDir: dir !== undefined });
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
}

main().catch((err: Error) => {
  console.error(`serve-clickhouse-http: ${err.message}`);
  process.exit(1);
});
