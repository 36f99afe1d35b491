import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { lazyProvider } from "./lazyProvider";

test("refuses a relative implementation path (the provider process has another working directory)", () => {
  assert.throws(() => lazyProvider("./randomSecretProvider.ts"), /needs an absolute path \(got "\.\/randomSecretProvider\.ts"\)/);
});

test("delegates each method to the implementation loaded from disk, with defaults for check and read", async () => {
  const provider = lazyProvider(join(__dirname, "randomSecretProvider.ts"));
  const created = await provider.create({ length: 20 });
  assert.match(created.outs.result, /^[A-Za-z0-9_-]{20}$/);
  assert.deepEqual(await provider.diff!(created.id, created.outs, { length: 20 }), { changes: false, replaces: [] });
  assert.deepEqual((await provider.check!({}, { length: 3 })).failures?.map((f) => f.property), ["length"]);
  assert.deepEqual(await provider.read!(created.id, created.outs), { id: created.id, props: created.outs });
});

test("a missing implementation file fails when a method runs, naming the file", async () => {
  const provider = lazyProvider(join(__dirname, "noSuchProvider.ts"));
  await assert.rejects(provider.create({}), /noSuchProvider\.ts/);
});
