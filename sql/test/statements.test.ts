import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { splitStatements } from "../src/statements";

test("splits on top-level semicolons only", () => {
  const sql = `-- header; with a semicolon
CREATE TABLE a (s String DEFAULT 'x;y', "we;ird" UInt8) ENGINE = Memory;
/* block; comment */ INSERT INTO a VALUES ('it''s; fine', 1);
SELECT \`b;c\` FROM a;
-- trailing comment only`;
  const parts = splitStatements(sql);
  assert.equal(parts.length, 3);
  assert.match(parts[0]!, /^CREATE TABLE a/, "leading comments are not part of the statement");
  assert.match(parts[1]!, /'it''s; fine'/);
  assert.equal(parts[2], "SELECT `b;c` FROM a");
});

test("unterminated quotes and comments are reported with their offset", () => {
  assert.throws(() => splitStatements("SELECT 'oops"), /Unterminated ' quote starting at offset 7/);
  assert.throws(() => splitStatements("SELECT 1 /* oops"), /Unterminated \/\* comment/);
});

test("property: joining statements with ';' and splitting gives them back", () => {
  const literal = fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/\\/g, "").replace(/'/g, "''")}'`);
  const statement = fc.tuple(fc.constantFrom("SELECT", "INSERT INTO t VALUES"), fc.array(literal, { minLength: 1, maxLength: 3 })).map(([head, lits]) => `${head} ${lits.join(", ")}`);
  fc.assert(
    fc.property(fc.array(statement, { minLength: 1, maxLength: 5 }), (statements) => {
      assert.deepEqual(splitStatements(statements.join(";\n") + ";"), statements);
    }),
  );
});
