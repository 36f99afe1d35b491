import assert from "node:assert/strict";
import { test } from "node:test";
import { generate, provider, validateLength } from "./randomSecretProvider";

test("generates URL-safe values of the asked length, different each time", async () => {
  const a = await provider.create({ length: 32 });
  const b = await provider.create({ length: 32 });
  assert.match(a.outs.result, /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(a.outs.result, b.outs.result);
  assert.equal(generate(101).length, 101);
});

test("keeps the value on an update and replaces on a new length or keepers", async () => {
  const olds = (await provider.create({ length: 24, keepers: { rotation: "1" } })).outs;
  assert.deepEqual(await provider.diff!("id", olds, { length: 24, keepers: { rotation: "1" } }), { changes: false, replaces: [] });
  assert.deepEqual(await provider.diff!("id", olds, { length: 25, keepers: { rotation: "1" } }), { changes: true, replaces: ["length"] });
  assert.deepEqual(await provider.diff!("id", olds, { length: 24, keepers: { rotation: "2" } }), { changes: true, replaces: ["keepers"] });
  assert.equal((await provider.update!("id", olds, { length: 24, keepers: { rotation: "1" } })).outs.result, olds.result);
});

test("check refuses a short or fractional length, naming the property", async () => {
  assert.match(validateLength(8)!, /length is 8: expected a whole number from 16 to 256/);
  assert.equal(validateLength(16.5) !== undefined, true);
  assert.deepEqual((await provider.check!({}, { length: 4 })).failures?.map((f) => f.property), ["length"]);
});
