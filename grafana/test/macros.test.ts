// The macro expander against the ClickHouse plugin's own expectations: the cases below are the
// input/output pairs of grafana/clickhouse-datasource pkg/macros/macros_test.go at v4.20.0
// (commit 973c4a50), plus macropro v1.0.1 behaviour the plugin inherits (comments, unknown
// macros, greedy names) and Grafana's variable formatting.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expandMacros, interpolateMacros, interpolateVariables, stripComments } from "../testing/macros";

const from = new Date("2014-11-12T11:45:26.123Z");
const to = new Date("2015-11-12T11:45:26.456Z");
const ctx = { from, to, intervalMs: 0, table: "my_table", column: "my_col" };

describe("interpolateMacros matches the plugin's TestInterpolate cases", () => {
  const cases: Array<[string, string]> = [
    ["select * from foo where $__timeFilter(cast(sth as timestamp))", "select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= toDateTime(1447328726)"],
    ["select * from foo where $__timeFilter(cast(sth as timestamp) )", "select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= toDateTime(1447328726)"],
    ["select * from foo where $__timeFilter_ms(cast(sth as timestamp))", "select * from foo where cast(sth as timestamp) >= fromUnixTimestamp64Milli(1415792726123) AND cast(sth as timestamp) <= fromUnixTimestamp64Milli(1447328726456)"],
    ["select * from foo where ( date >= $__fromTime and date <= $__toTime ) limit 100", "select * from foo where ( date >= toDateTime(1415792726) and date <= toDateTime(1447328726) ) limit 100"],
    ["select * from foo where ( date >= $__fromTime ) and ( date <= $__toTime ) limit 100", "select * from foo where ( date >= toDateTime(1415792726) ) and ( date <= toDateTime(1447328726) ) limit 100"],
    ["select * from foo where ( date >= $__fromTime_ms and date <= $__toTime_ms ) limit 100", "select * from foo where ( date >= fromUnixTimestamp64Milli(1415792726123) and date <= fromUnixTimestamp64Milli(1447328726456) ) limit 100"],
  ];
  for (const [input, output] of cases) test(input, () => assert.equal(interpolateMacros(input, ctx), output));
});

describe("nested macros expand innermost first (plugin TestInterpolateNestedMacros, macropro #20)", () => {
  const minute = { from, to, intervalMs: 60_000 };
  test("a macro as the argument of another", () =>
    assert.equal(interpolateMacros("SELECT $__timeInterval($__fromTime) AS from_time", minute), "SELECT toStartOfInterval(toDateTime(toDateTime(1415792726)), INTERVAL 60 second) AS from_time"));
  test("millisecond variants", () =>
    assert.equal(interpolateMacros("SELECT $__timeInterval_ms($__fromTime_ms)", minute), "SELECT toStartOfInterval(toDateTime64(fromUnixTimestamp64Milli(1415792726123), 3), INTERVAL 60000 millisecond)"));
  test("inside a larger argument expression", () =>
    assert.equal(
      interpolateMacros("select * from foo where $__timeFilter(coalesce(closed_at, $__toTime))", minute),
      "select * from foo where coalesce(closed_at, toDateTime(1447328726)) >= toDateTime(1415792726) AND coalesce(closed_at, toDateTime(1447328726)) <= toDateTime(1447328726)",
    ));
});

describe("string literals with backslash escapes (plugin TestInterpolateBackslashEscapedStringLiterals)", () => {
  test("-- inside an escaped literal is not a comment", () =>
    assert.equal(interpolateMacros(String.raw`select * from foo where msg = 'it\'s -- fine' and $__fromTime`, ctx), String.raw`select * from foo where msg = 'it\'s -- fine' and toDateTime(1415792726)`));
  test("/* inside an escaped literal is not a comment", () =>
    assert.equal(interpolateMacros(String.raw`select * from foo where msg = 'a\'/*x' and $__toTime`, ctx), String.raw`select * from foo where msg = 'a\'/*x' and toDateTime(1447328726)`));
  test("doubled quotes", () => assert.equal(interpolateMacros("select * from foo where msg = 'it''s' and $__fromTime", ctx), "select * from foo where msg = 'it''s' and toDateTime(1415792726)"));
});

describe("single macros (plugin TestMacro* cases)", () => {
  const t2 = { from: new Date("2014-11-12T11:45:26.371Z"), to: new Date("2015-11-12T11:45:26.371Z"), intervalMs: 20_000 };
  const cases: Array<[string, string]> = [
    ["$__fromTime_ms", "fromUnixTimestamp64Milli(1415792726371)"],
    ["$__toTime_ms", "fromUnixTimestamp64Milli(1447328726371)"],
    ["$__dateFilter(dateCol)", "dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')"],
    ["$__dateTimeFilter(dateCol, timeCol)", "(dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')) AND (timeCol >= toDateTime(1415792726) AND timeCol <= toDateTime(1447328726))"],
    ["$__dt(dateCol, timeCol)", "(dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')) AND (timeCol >= toDateTime(1415792726) AND timeCol <= toDateTime(1447328726))"],
    ["$__timeInterval(col)", "toStartOfInterval(toDateTime(col), INTERVAL 20 second)"],
    ["$__timeInterval_ms(col)", "toStartOfInterval(toDateTime64(col, 3), INTERVAL 20000 millisecond)"],
    ["$__interval_s", "20"],
    ["$__timeFrom(ts)", "ts >= toDateTime(1415792726)"],
    ["$__timeTo(ts)", "ts <= toDateTime(1447328726)"],
    ["$__timeGroup(ts, 5m)", "toStartOfInterval(toDateTime(ts), INTERVAL 300 second)"],
    ["$__timeGroup(ts, '1h')", "toStartOfInterval(toDateTime(ts), INTERVAL 3600 second)"],
    ["$__interval", "20s"],
    ["$__interval_ms", "20000"],
  ];
  for (const [input, output] of cases) test(input, () => assert.equal(interpolateMacros(input, t2), output));

  test("$__interval_s and $__timeInterval never go below 1 second", () => {
    assert.equal(interpolateMacros("$__interval_s", { from, to, intervalMs: 200 }), "1");
    assert.equal(interpolateMacros("$__timeInterval(c)", { from, to, intervalMs: 0 }), "toStartOfInterval(toDateTime(c), INTERVAL 1 second)");
  });

  test("wrong argument counts and bad durations are errors that name the macro", () => {
    assert.throws(() => interpolateMacros("$__timeFilter()", t2), /\$__timeFilter.*expected 1 argument/);
    assert.throws(() => interpolateMacros("$__timeFrom", t2), /\$__timeFrom/);
    assert.throws(() => interpolateMacros("$__dateTimeFilter(d)", t2), /expected 2 argument/);
    assert.throws(() => interpolateMacros("$__timeGroup(ts)", t2), /\$__timeGroup/);
    assert.throws(() => interpolateMacros("$__timeGroup(ts, not-a-duration)", t2), /invalid interval/);
  });
});

describe("macropro's scanning rules", () => {
  test("macros inside comments are not expanded, and comments become spaces of the same length", () => {
    const sql = "SELECT 1 -- $__timeFilter(x)\nWHERE t > $__fromTime /* $__toTime */";
    const out = interpolateMacros(sql, ctx);
    assert.equal(out, `SELECT 1 ${" ".repeat("-- $__timeFilter(x)".length)}\nWHERE t > toDateTime(1415792726) ${" ".repeat("/* $__toTime */".length)}`);
  });

  test("a query without the $__ prefix comes back untouched, comments included", () => {
    const sql = "SELECT 1 -- note";
    assert.equal(interpolateMacros(sql, ctx), sql);
  });

  test("a prefix only inside comments: the comment-stripped copy comes back", () => {
    assert.equal(interpolateMacros("SELECT 1 -- $__x", ctx), "SELECT 1 " + " ".repeat(7));
  });

  test("unknown macros (e.g. $__conditionalAll, a browser-side macro) reach ClickHouse unchanged", () => {
    assert.equal(interpolateMacros("WHERE $__conditionalAll(a IN ($p), $p) AND t > $__fromTime", ctx), "WHERE $__conditionalAll(a IN ($p), $p) AND t > toDateTime(1415792726)");
  });

  test("names are read greedily: $__interval_ms is not $__interval followed by _ms", () => {
    assert.equal(interpolateMacros("$__interval_ms|$__interval", { from, to, intervalMs: 300_000 }), "300000|5m");
  });

  test("$__table and $__column come from the query context and fail without it", () => {
    assert.equal(interpolateMacros("SELECT $__column FROM $__table", ctx), "SELECT my_col FROM my_table");
    assert.throws(() => interpolateMacros("SELECT 1 FROM $__table", { from, to, intervalMs: 0 }), /no table name/);
  });

  test("unterminated block comment blanks the rest", () => {
    assert.equal(stripComments("a /* b"), "a " + " ".repeat(4));
  });
});

describe("Grafana variable interpolation before the backend sees the query", () => {
  test(":singlequote quotes each value, escapes quotes with a backslash and joins with commas", () => {
    assert.equal(interpolateVariables("[${product:singlequote}]", { product: ["BTC-USD", "ETH-USD"] }), "['BTC-USD','ETH-USD']");
    assert.equal(interpolateVariables("[${product:singlequote}]", { product: "O'Neil" }), String.raw`['O\'Neil']`);
  });

  test("a variable without a format uses the ClickHouse plugin's formatter", () => {
    assert.equal(interpolateVariables("IN ($product)", { product: ["a", "b"] }), "IN ('a','b')");
  });

  test("unknown variables and the $__ macros are left for the backend", () => {
    assert.equal(interpolateVariables("$__fromTime $other ${x}", { product: "a" }), "$__fromTime $other ${x}");
  });

  test("expandMacros applies variables, then macros", () => {
    const sql = "SELECT 1 WHERE has([${product:singlequote}], p) AND t >= $__fromTime";
    assert.equal(expandMacros(sql, { ...ctx, variables: { product: ["BTC-USD"] } }), "SELECT 1 WHERE has(['BTC-USD'], p) AND t >= toDateTime(1415792726)");
  });

  test("a format this interpolator does not implement is an error that says which to use", () => {
    assert.throws(() => interpolateVariables("${product:csv}", { product: ["a"] }), /product uses format "csv".*singlequote/);
  });
});

describe("properties (fast-check)", () => {
  // Imported lazily so the example-based tests above do not depend on it.
  test("comment stripping never changes the query's length (positions in ClickHouse errors stay right)", async () => {
    const fc = await import("fast-check");
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("a", " ", "-", "/", "*", "'", '"', "\\", "\n", "$") }), (s) => stripComments(s).length === s.length));
  });

  // Spaces around the macro: a name character right after it would make another (unknown) name,
  // and a "(" would make the following text its argument list, both as in macropro.
  test("every $__fromTime outside comments and strings is expanded, and nothing else changes", async () => {
    const fc = await import("fast-check");
    const fragment = fc.constantFrom("SELECT", "x", " ", ",", "(", ")", "1", "\n", "WHERE", ">=");
    fc.assert(
      fc.property(fc.array(fc.oneof(fragment, fc.constant(" $__fromTime ")), { maxLength: 40 }), (parts) => {
        const sql = parts.join("");
        const out = interpolateMacros(sql, ctx);
        return out === sql.split("$__fromTime").join("toDateTime(1415792726)");
      }),
    );
  });
});
