// Issue 12 §3: every command README.md and docs/ show is one that runs: the npm script exists, and
// a Pulumi command behind `npm run pulumi|stack|config -- …` is a command (and flags) the pinned
// CLI knows. `npm run stack -- output` once ran `pulumi output`, which is not a command.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { documentedCommands, isPlaceholder, PULUMI_SCRIPTS, pulumiWords, REPO_ROOT, type DocCommand } from "./docCommands";
import { cliUnavailable, pulumiRoot } from "./engine/harness";

const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
const commands = documentedCommands();
const noCli = cliUnavailable();

/** What the CLI's help says of `pulumi <words…>`: the command path it resolved to, whether it has subcommands, and its flags. */
function pulumiHelp(words: string[]): { path: string[]; hasSubcommands: boolean; text: string } {
  const text = execFileSync(join(pulumiRoot(), "bin", "pulumi"), [...words, "--help"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  const usage = /Usage:\n\s+(pulumi[^\n]*)/.exec(text)?.[1] ?? "";
  const path = usage.split(/\s+/).slice(1).filter((w, i, all) => !/^[[<]/.test(w) && all.slice(0, i).every((p) => !/^[[<]/.test(p)));
  return { path, hasSubcommands: /\n(Available )?Commands:\n|Management Commands:\n/.test(text), text };
}

/** Whether the help text shows `flag` taking a value (`--output string`, `-s, --stack string`). */
function takesValue(helpText: string, flag: string): boolean {
  const name = flag.replace(/^-+/, "");
  return new RegExp(`(^|\\s)-{1,2}${name} (string|int|stringArray|stringSlice|duration)\\b`, "m").test(helpText);
}

/** The words that name the command and its arguments: no flags, no flag values, no placeholders. */
function positionalWords(words: string[]): string[] {
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.startsWith("-")) {
      if (!word.includes("=") && takesValue(pulumiHelp(positional).text, word)) i++;
    } else if (!isPlaceholder(word)) {
      positional.push(word);
    }
  }
  return positional;
}

/** Checks one documented Pulumi command; returns what is wrong, or undefined. */
function problemWith(command: DocCommand, words: string[]): string | undefined {
  const positional = positionalWords(words);
  const help = pulumiHelp(positional);
  const resolved = help.path.join(" ");
  if (positional.slice(0, help.path.length).join(" ") !== resolved) return `pulumi resolved it to "pulumi ${resolved}"`;
  if (help.hasSubcommands && positional.length > help.path.length) return `"${positional[help.path.length]}" is not a subcommand of "pulumi ${resolved}"`;
  for (const flag of words.filter((w) => w.startsWith("--"))) if (!help.text.includes(flag.split("=")[0]!)) return `"pulumi ${resolved}" has no flag ${flag}`;
  return undefined;
}

describe("commands shown in README.md and docs/", () => {
  test("the docs show the user's commands at all (the reader below is not blind)", () => {
    const shown = new Set(commands.map((c) => c.script));
    for (const script of ["up", "down", "stack", "config"]) assert.ok(shown.has(script), `no "npm run ${script}" found in README.md or docs/`);
    assert.ok(commands.some((c) => c.script === "stack" && c.args[0] === "output" && c.args.includes("--show-secrets")));
  });

  test("every `npm run <script>` is a script in package.json", () => {
    const unknown = commands.filter((c) => !(c.script in scripts)).map((c) => `${c.at}: npm run ${c.script}`);
    assert.deepEqual(unknown, [], "scripts the docs show but package.json lacks");
  });

  test("every `npm run pulumi|stack|config -- …` is a command and flags the pinned Pulumi CLI knows", { skip: noCli }, () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const command of commands) {
      const words = pulumiWords(command);
      if (!words || seen.has(words.join(" "))) continue;
      seen.add(words.join(" "));
      const problem = problemWith(command, words);
      if (problem) problems.push(`${command.at}: npm run ${command.script} -- ${command.args.join(" ")}: ${problem}`);
    }
    assert.ok(seen.size >= 5, `only ${seen.size} Pulumi commands found`);
    assert.deepEqual(problems, []);
  });

  test("the Pulumi scripts are the ones package.json runs through scripts/pulumi.sh", () => {
    assert.deepEqual(PULUMI_SCRIPTS, { stack: ["stack"], config: ["config"], pulumi: [] });
  });

  test("the checker catches the commands the docs once showed", { skip: noCli }, () => {
    const bad = (script: string, args: string[]) => problemWith({ at: "-", script, args }, pulumiWords({ at: "-", script, args })!);
    assert.match(String(bad("pulumi", ["output", "grafanaAdminPassword", "--show-secrets"])), /not a subcommand of "pulumi "/);
    assert.match(String(bad("stack", ["bogus"])), /not a subcommand of "pulumi stack"/);
    assert.match(String(bad("stack", ["output", "--show-secretz"])), /has no flag --show-secretz/);
    assert.equal(bad("stack", ["output", "grafanaAdminPassword", "--show-secrets"]), undefined);
    assert.equal(bad("config", ["set", "--secret", "<key>", "<value>"]), undefined);
    assert.equal(bad("stack", ["history", "--output", "json"]), undefined, "a flag's value is not a subcommand");
    assert.match(String(bad("stack", ["history", "--json"])), /has no flag --json/, "a hidden (deprecated) flag is not one to show users");
  });
});
