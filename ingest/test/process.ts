// Runs the real CLI as a child process (node + tsx), collecting its JSON log lines.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const REPO = join(__dirname, "..", "..");

export interface CliRun {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: string[];
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function runCli(configPath: string): CliRun {
  return watchCli(
    spawn(process.execPath, ["--import", "tsx", join(REPO, "ingest", "src", "cli.ts"), "--config", configPath], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

/** Collects the JSON log lines (and anything else it prints) of a CLI child started with piped output. */
export function watchCli(child: ChildProcess): CliRun {
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  let buffer = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        stderr.push(`stdout (not JSON): ${line}`);
      }
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    logs,
    stderr,
    exited,
    waitForLog: (predicate, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr.join("")}`)), timeoutMs);
        const check = () => {
          const hit = logs.find(predicate);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      }),
  };
}
