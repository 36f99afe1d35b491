// The verdict /healthz serves: the source's own health, and whether rows wait too long for
// ClickHouse or the sink fails in a way only an operator can fix.
import type { HealthReport } from "../observability/http";
import type { Committer } from "../pipeline/committer";
import type { ClickHouseSink } from "../sinks/clickhouse";
import type { Source } from "../sources/source";

export interface HealthInputs {
  readonly source: Pick<Source, "health">;
  readonly committer: Pick<Committer, "pendingRows" | "lastCommitAt">;
  readonly sink: Pick<ClickHouseSink, "problem">;
  /** health.sink_stuck_ms: rows waiting this long without a commit make the ingester unhealthy. */
  readonly sinkStuckMs: number;
}

export function healthReport({ source, committer, sink, sinkStuckMs }: HealthInputs): HealthReport {
  const problems: string[] = [];
  const s = source.health();
  if (!s.ok) problems.push(`source: ${s.detail}`);
  const waiting = committer.pendingRows;
  const sinceCommit = Date.now() - committer.lastCommitAt;
  let sinkDetail = waiting === 0 ? "idle, nothing waiting" : `${waiting} rows waiting, last commit ${sinceCommit} ms ago`;
  if (sink.problem) sinkDetail += `; failing since ${new Date(sink.problem.at).toISOString()}: ${sink.problem.summary}`;
  if (waiting > 0 && sinceCommit > sinkStuckMs) problems.push(`sink: no commit for ${Math.round(sinceCommit / 1000)} s with ${waiting} rows waiting`);
  if (sink.problem?.needsOperator) problems.push(`sink: ${sink.problem.summary}`);
  return { ok: problems.length === 0, source: s.detail, sink: sinkDetail, problems };
}
