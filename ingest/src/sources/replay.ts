// Replays an NDJSON file of raw websocket messages, as fast as the pipeline takes them or paced
// by the messages' own `time`. Each line is handed over exactly as written (bad lines included:
// the pipeline dead-letters them).
import { createReadStream } from "node:fs";
import { createInterface, type Interface } from "node:readline";
import type { ReplaySourceConfig } from "../config/schema";
import type { MessageHandler, Source, SourceHealth } from "./source";

const TIME_FIELD = /"time"\s*:\s*"([^"]+)"/;

export class ReplaySource implements Source {
  readonly name = "replay";
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private rejectFinished!: (err: Error) => void;
  private reader: Interface | undefined;
  private paused = false;
  private stopped = false;
  private lines = 0;
  private done = false;

  constructor(private readonly config: ReplaySourceConfig) {
    this.finished = new Promise((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
  }

  start(handler: MessageHandler): void {
    void this.run(handler).then(
      () => {
        this.done = true;
        this.resolveFinished();
      },
      (err: Error) => this.rejectFinished(new Error(`Cannot replay ${this.config.path} (source.path): ${err.message}`)),
    );
  }

  private async run(handler: MessageHandler): Promise<void> {
    const stream = createReadStream(this.config.path, { encoding: "utf8" });
    const opened = new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", reject);
    });
    await opened;
    this.reader = createInterface({ input: stream, crlfDelay: Infinity });
    if (this.paused) this.reader.pause();
    let firstRecorded: number | undefined;
    let firstWall = 0;
    for await (const line of this.reader) {
      if (this.stopped) break;
      if (line.trim().length === 0) continue;
      if (this.config.speed === "recorded") {
        const at = recordedTime(line);
        if (at !== undefined) {
          if (firstRecorded === undefined) {
            firstRecorded = at;
            firstWall = Date.now();
          }
          const wait = at - firstRecorded - (Date.now() - firstWall);
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      }
      this.lines++;
      handler.handle(line, Date.now());
      // Let the event loop flush the spool and run timers between chunks of a fast file.
      if (this.lines % 1000 === 0) await new Promise((r) => setImmediate(r));
      while (this.paused && !this.stopped) await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reader?.close();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  health(): SourceHealth {
    return { ok: true, detail: this.done ? `replay finished after ${this.lines} lines` : `replaying, ${this.lines} lines so far` };
  }
}

function recordedTime(line: string): number | undefined {
  const match = TIME_FIELD.exec(line);
  if (!match) return undefined;
  const ms = Date.parse(match[1]!);
  return Number.isNaN(ms) ? undefined : ms;
}
