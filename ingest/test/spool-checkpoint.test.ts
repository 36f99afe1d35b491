// Issue 13, item 7e: a damaged checkpoint.json must be reported naming the file (and what to do),
// whatever the damage: not JSON at all, empty, or JSON of the wrong shape.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Spool } from "../src/pipeline/spool";
import { tempDir } from "./helpers";

const OPTS = { segmentBytes: 1 << 20, fsync: false };

test("a garbage, empty or wrongly shaped checkpoint.json is refused with an error naming the file", () => {
  const damaged: Record<string, string> = {
    garbage: "garbage\u0000\u0001 not json",
    empty: "",
    truncated: '{"epoch": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "committ',
    null: "null",
    list: "[1, 2]",
    "wrong shape": '{"epoch": 5, "committed": "x"}',
  };
  for (const [what, text] of Object.entries(damaged)) {
    const dir = tempDir(`spool-cp-${what.replace(/\s/g, "-")}`);
    const file = join(dir, "checkpoint.json");
    writeFileSync(file, text);
    assert.throws(
      () => Spool.open(dir, OPTS),
      (err: Error) => err.message.includes(file),
      `${what} checkpoint: the error must name ${file}`,
    );
  }
});
