// A test-only Pulumi language host for Node.js, so the pinned CLI (built from Go modules, which
// do not serve the official `pulumi-language-nodejs`) can run `pulumi up` on Pulumi.yaml itself.
// It serves the LanguageRuntime gRPC service with the SDK's own generated stubs
// (@pulumi/pulumi/proto) and runs the program the way the official host does: `node <nodeargs>
// @pulumi/pulumi/cmd/run <flags> <main>` in the program directory, with the stack's config in
// PULUMI_CONFIG. Only what `pulumi preview/up/destroy/refresh` call is implemented; the rest
// answers UNIMPLEMENTED, which the engine tolerates (Handshake, GetRequiredPackages fall back).
//
// The CLI starts it as `pulumi-language-nodejs <engine address>` (found on PATH, as an ambient
// plugin) and reads the port it listens on from the first line of its stdout.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as langrpc from "@pulumi/pulumi/proto/language_grpc_pb";
import * as langproto from "@pulumi/pulumi/proto/language_pb";
import * as plugproto from "@pulumi/pulumi/proto/plugin_pb";

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/** Exit code of `cmd/run` after it already logged a message the user can act on (cmd/run/index.js). */
const EXIT_AFTER_LOGGED_MESSAGE = 32;
const SDK_DIR = dirname(require.resolve("@pulumi/pulumi/package.json"));
const SDK_VERSION = (JSON.parse(readFileSync(join(SDK_DIR, "package.json"), "utf8")) as { version: string }).version;

let engineAddress = process.argv[process.argv.length - 1] ?? "";

/** Runtime options from Pulumi.yaml (`runtime.options`), as the engine hands them over. */
function runtimeOptions(info: langproto.ProgramInfo | undefined): Record<string, unknown> {
  return (info?.getOptions()?.toJavaScript() as Record<string, unknown> | undefined) ?? {};
}

/** `nodeargs` split on white space, as a shell would split an unquoted string. */
function nodeArgs(options: Record<string, unknown>): string[] {
  const raw = options.nodeargs;
  return typeof raw === "string" ? raw.split(/\s+/).filter((a) => a.length > 0) : [];
}

/** Resource plugins the program's node_modules declare (`pulumi.resource` in package.json), as the official host reports them. */
function requiredPackages(programDirectory: string): plugproto.PackageDependency[] {
  const found = new Map<string, plugproto.PackageDependency>();
  for (let dir = programDirectory; ; dir = dirname(dir)) {
    const modules = join(dir, "node_modules");
    if (existsSync(modules)) {
      for (const pkgDir of packageDirs(modules)) {
        const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
          pulumi?: { resource?: boolean; name?: string; version?: string; server?: string };
        };
        const plugin = manifest.pulumi;
        if (!plugin?.resource || !plugin.name || found.has(plugin.name)) continue;
        const dep = new plugproto.PackageDependency().setKind("resource").setName(plugin.name).setVersion(plugin.version ?? "");
        if (plugin.server) dep.setServer(plugin.server);
        found.set(plugin.name, dep);
      }
      return [...found.values()];
    }
    if (dirname(dir) === dir) return [];
  }
}

function packageDirs(modules: string): string[] {
  const dirs: string[] = [];
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith(".")) continue;
    const full = join(modules, entry);
    if (entry.startsWith("@")) {
      for (const scoped of readdirSync(full)) if (existsSync(join(full, scoped, "package.json"))) dirs.push(join(full, scoped));
    } else if (existsSync(join(full, "package.json"))) {
      dirs.push(full);
    }
  }
  return dirs;
}

/** The flags `@pulumi/pulumi/cmd/run` takes (its usage text), from the engine's RunRequest. */
function runFlags(req: langproto.RunRequest): string[] {
  const info = req.getInfo();
  const flags = [`--monitor=${req.getMonitorAddress()}`, `--engine=${engineAddress}`, `--project=${req.getProject()}`, `--stack=${req.getStack()}`];
  if (req.getOrganization()) flags.push(`--organization=${req.getOrganization()}`);
  if (info?.getRootDirectory()) flags.push(`--root-directory=${info.getRootDirectory()}`);
  if (req.getPwd()) flags.push(`--pwd=${req.getPwd()}`);
  if (req.getDryrun()) flags.push("--dry-run");
  if (req.getParallel() > 0) flags.push(`--parallel=${req.getParallel()}`);
  return flags;
}

const handshake: Unary<langproto.LanguageHandshakeRequest, langproto.LanguageHandshakeResponse> = (call, callback) => {
  engineAddress = call.request.getEngineAddress() || engineAddress;
  callback(null, new langproto.LanguageHandshakeResponse());
};

const getPluginInfo: Unary<unknown, plugproto.PluginInfo> = (_call, callback) => {
  callback(null, new plugproto.PluginInfo().setVersion(SDK_VERSION));
};

const getRequiredPackages: Unary<langproto.GetRequiredPackagesRequest, langproto.GetRequiredPackagesResponse> = (call, callback) => {
  const programDirectory = call.request.getInfo()?.getProgramDirectory() ?? process.cwd();
  callback(null, new langproto.GetRequiredPackagesResponse().setPackagesList(requiredPackages(programDirectory)));
};

const run: Unary<langproto.RunRequest, langproto.RunResponse> = (call, callback) => {
  const req = call.request;
  const info = req.getInfo();
  const options = runtimeOptions(info);
  const cwd = req.getPwd() || info?.getProgramDirectory() || process.cwd();
  const program = info?.getEntryPoint() || req.getProgram() || ".";
  const config: Record<string, string> = {};
  for (const [key, value] of req.getConfigMap().entries()) config[key] = value;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
    PULUMI_NODEJS_TYPESCRIPT: String(options.typescript !== false),
  };
  if (typeof options.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  const runScript = require.resolve("@pulumi/pulumi/cmd/run", { paths: [cwd] });
  const child = spawn(process.execPath, [...nodeArgs(options), runScript, ...runFlags(req), program, ...req.getArgsList()], {
    cwd,
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.on("error", (err) => callback(null, new langproto.RunResponse().setError(`could not start node: ${err.message}`)));
  child.on("exit", (code, signal) => {
    const response = new langproto.RunResponse();
    if (code === EXIT_AFTER_LOGGED_MESSAGE) response.setBail(true);
    else if (code !== 0) response.setError(`Program exited with ${signal ? `signal ${signal}` : `non-zero exit code: ${code}`}`);
    callback(null, response);
  });
};

function main(): void {
  const server = new grpc.Server();
  server.addService(langrpc.LanguageRuntimeService, {
    handshake,
    getPluginInfo,
    getRequiredPackages,
    run,
  } as unknown as grpc.UntypedServiceImplementation);
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      console.error(`pulumi-language-nodejs (test host): ${err.message}`);
      process.exit(1);
    }
    process.stdout.write(`${port}\n`);
  });
}

main();
