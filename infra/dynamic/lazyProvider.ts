// Pulumi serializes a dynamic provider's functions into the state and runs them in
// `pulumi-resource-pulumi-nodejs`, a plain node process with another working directory. A provider
// that closes over imported modules drags them (and their transitive state) into the
// serialization, and .ts files cannot be loaded there without tsx. So every provider here is this
// thin shell: it captures two absolute paths (strings) and, inside each method, registers tsx and
// requires the real implementation from disk.
import type * as pulumi from "@pulumi/pulumi";

/** Set once tsx is registered in the provider process (registering twice would stack its hooks). */
interface TsxFlag {
  __streamstackTsx?: unknown;
}

/** The operations an implementation module exports as `provider`. */
export type ProviderImplementation = pulumi.dynamic.ResourceProvider;

/**
 * A provider whose methods load `implementationFile` (absolute path of a module exporting
 * `provider`) in the provider process. Only strings are captured.
 */
export function lazyProvider(implementationFile: string): pulumi.dynamic.ResourceProvider {
  if (!implementationFile.startsWith("/")) {
    throw new Error(`lazyProvider needs an absolute path (got "${implementationFile}"): pass require.resolve("./x") or path.join(__dirname, "x.ts")`);
  }
  let tsxApi: string;
  try {
    tsxApi = require.resolve("tsx/cjs/api");
  } catch {
    throw new Error(
      `The dynamic providers load their TypeScript with tsx, which is not installed here. ` +
        `Run "npm ci" in the repository (with dev dependencies: not NODE_ENV=production / --omit=dev), then run pulumi again.`,
    );
  }
  const file = implementationFile;
  // Each method repeats the two requires: the serialized functions share no helper on purpose.
  return {
    async check(olds, news) {
      if (!(globalThis as TsxFlag).__streamstackTsx) (globalThis as TsxFlag).__streamstackTsx = require(tsxApi).register();
      const impl = require(file).provider;
      return impl.check ? impl.check(olds, news) : { inputs: news };
    },
    async diff(id, olds, news) {
      if (!(globalThis as TsxFlag).__streamstackTsx) (globalThis as TsxFlag).__streamstackTsx = require(tsxApi).register();
      return require(file).provider.diff(id, olds, news);
    },
    async create(inputs) {
      if (!(globalThis as TsxFlag).__streamstackTsx) (globalThis as TsxFlag).__streamstackTsx = require(tsxApi).register();
      return require(file).provider.create(inputs);
    },
    async read(id, props) {
      if (!(globalThis as TsxFlag).__streamstackTsx) (globalThis as TsxFlag).__streamstackTsx = require(tsxApi).register();
      const impl = require(file).provider;
      return impl.read ? impl.read(id, props) : { id, props };
    },
    async update(id, olds, news) {
      if (!(globalThis as TsxFlag).__streamstackTsx) (globalThis as TsxFlag).__streamstackTsx = require(tsxApi).register();
      return require(file).provider.update(id, olds, news);
    },
    async delete(id, props) {
      if (!(globalThis as TsxFlag).__streamstackTsx) (globalThis as TsxFlag).__streamstackTsx = require(tsxApi).register();
      const impl = require(file).provider;
      if (impl.delete) await impl.delete(id, props);
    },
  };
}
