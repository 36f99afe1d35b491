// Backpressure from the spool: the source stops reading while the spool holds spool.max_bytes not
// yet in ClickHouse, and reads again once commits bring that below 80% (so it does not flap).
import type { Logger } from "../observability/log";
import type { Spool } from "../pipeline/spool";
import type { Source } from "../sources/source";

const RESUME_BELOW = 0.8;

export class SpoolBackpressure {
  private paused = false;

  constructor(
    private readonly spool: Pick<Spool, "uncommittedBytes">,
    private readonly source: Pick<Source, "pause" | "resume">,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /** After each message the pipeline took: pauses the source once the spool is full. */
  afterMessage(): void {
    if (!this.paused && this.spool.uncommittedBytes >= this.maxBytes) {
      this.paused = true;
      this.source.pause();
      this.log.warn("spool full: reading paused until ClickHouse catches up", { spool_bytes: this.spool.uncommittedBytes, max_bytes: this.maxBytes });
    }
  }

  /** After each commit: resumes the source once the spool is below its limit again. */
  afterCommit(): void {
    if (this.paused && this.spool.uncommittedBytes < this.maxBytes * RESUME_BELOW) {
      this.paused = false;
      this.source.resume();
      this.log.info("spool below its limit again; reading resumed", { spool_bytes: this.spool.uncommittedBytes });
    }
  }
}
