// The commands README.md and docs/ show a user: every `npm run <script> [-- args]` in their text
// (code blocks, inline code, tables). Read by docCommands.test.ts (each is a script package.json
// has, and each Pulumi command one the CLI knows) and program.test.ts (each output they name).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(__dirname, "..", "..");

export interface DocCommand {
  /** Where it is shown, e.g. `docs/deploy.md:31`. */
  readonly at: string;
  readonly script: string;
  /** Words after `--`, without shell comments, placeholders kept as written (`<key>`). */
  readonly args: string[];
}

/** The npm scripts that run Pulumi (`bash scripts/pulumi.sh [words]` in package.json), and the Pulumi words each one starts with. */
export const PULUMI_SCRIPTS: Readonly<Record<string, string[]>> = Object.fromEntries(
  Object.entries((JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts).flatMap(([name, command]) => {
    const m = /^bash scripts\/pulumi\.sh\b(.*)$/.exec(command);
    return m ? [[name, m[1]!.trim().split(/\s+/).filter((w) => w.length > 0)]] : [];
  }),
);

/** A word the docs write for the reader to fill in: `<key>`, `'…'`. */
export function isPlaceholder(word: string): boolean {
  return /^[<'"…]/.test(word);
}

export function documentedCommands(root = REPO_ROOT): DocCommand[] {
  const files = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  const found: DocCommand[] = [];
  for (const file of files) {
    readFileSync(join(root, file), "utf8")
      .split("\n")
      .forEach((line, i) => {
        for (const m of line.matchAll(/npm run ([\w:-]+)((?: -- [^`|#\n]*)?)/g)) {
          const args = m[2]!.replace(/^ -- /, "").trim().split(/\s+/).filter((w) => w.length > 0);
          found.push({ at: `${file}:${i + 1}`, script: m[1]!, args });
        }
      });
  }
  return found;
}

/** The Pulumi words a documented command runs (`npm run stack -- output x` → `stack output x`), or undefined for other scripts. */
export function pulumiWords(command: DocCommand): string[] | undefined {
  const prefix = PULUMI_SCRIPTS[command.script];
  return prefix === undefined ? undefined : [...prefix, ...command.args];
}
