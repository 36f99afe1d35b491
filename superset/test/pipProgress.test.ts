// The Superset venv install tells what pip is doing (issue 15): phases and packages collected,
// at each phase change and every 10 s in between, from pip's own output lines.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CONSTRAINTS_FILE } from "../testing/server";
import { PipProgress, pinnedCount } from "../testing/pipProgress";

test("progress follows pip's phases and counts collected packages, at most one line per 10 s within a phase", () => {
  const progress = new PipProgress(155, 0);
  const told: string[] = [];
  const at = (ms: number, line: string) => {
    progress.feed(line);
    const message = progress.message(ms);
    if (message) told.push(message);
  };
  at(100, "Collecting apache-superset==6.1.0");
  for (let i = 0; i < 40; i++) at(200 + i * 100, `Collecting dep${i}==1.0`);
  at(11_000, "Collecting flask==2.3.3");
  at(12_000, "  Downloading flask-2.3.3-py3-none-any.whl (96 kB)");
  at(60_000, "Installing collected packages: six, pytz, flask");
  at(61_000, "Successfully installed flask-2.3.3 six-1.16.0");
  assert.deepEqual(told, [
    "Superset venv: resolving, 1 of 155 packages collected, 0 s",
    "Superset venv: resolving, 42 of 155 packages collected, 11 s",
    "Superset venv: downloading, 42 of 155 packages collected, 12 s",
    "Superset venv: installing the packages, 42 of 155 packages collected, 60 s",
    "Superset venv: installed, 42 of 155 packages collected, 61 s",
  ]);
});

test("the expected count is the constraints file's pins", () => {
  assert.equal(pinnedCount("# c\nalembic==1.19.2\namqp==5.4.2\n\n-e x\n"), 2);
  assert.ok(pinnedCount(readFileSync(CONSTRAINTS_FILE, "utf8")) > 100);
});
