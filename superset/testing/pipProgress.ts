// What a long `pip install` is doing, told in a line now and then instead of minutes of silence:
// the phase pip is in (resolving, downloading, installing) and how many of the expected packages
// it has collected. Fed pip's own output lines (without -q).

export type PipPhase = "resolving" | "downloading" | "installing" | "done";

export class PipProgress {
  private phase: PipPhase = "resolving";
  private collected = 0;
  private lastTold = 0;
  private lastPhaseTold: PipPhase | undefined;

  /** `expected`: how many packages the install should end with (the constraints file's pins). */
  constructor(
    private readonly expected: number,
    private readonly startedAt: number,
    private readonly everyMs = 10_000,
  ) {}

  /** Reads one line of pip's output. */
  feed(line: string): void {
    if (/^\s*Collecting /.test(line)) this.collected += 1;
    if (/^\s*Downloading /.test(line) && this.phase === "resolving") this.phase = "downloading";
    if (/^Installing collected packages/.test(line)) this.phase = "installing";
    if (/^Successfully installed/.test(line)) this.phase = "done";
  }

  /** A line to show at `now`, when the phase changed or `everyMs` passed since the last one. */
  message(now: number): string | undefined {
    if (this.phase === this.lastPhaseTold && now - this.lastTold < this.everyMs) return undefined;
    this.lastTold = now;
    this.lastPhaseTold = this.phase;
    const seconds = Math.round((now - this.startedAt) / 1000);
    const what = this.phase === "installing" ? "installing the packages" : this.phase === "done" ? "installed" : this.phase;
    return `Superset venv: ${what}, ${Math.min(this.collected, this.expected)} of ${this.expected} packages collected, ${seconds} s`;
  }
}

/** The number of pinned packages in a pip constraints file (`name==version` lines). */
export function pinnedCount(constraints: string): number {
  return constraints.split("\n").filter((l) => /^[A-Za-z0-9_.\-\[\]]+==/.test(l.trim())).length;
}
