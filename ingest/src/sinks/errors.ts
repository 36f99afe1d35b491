// Sorts ClickHouse insert errors into what the sink does about them:
// - retryable: the rows are fine, the moment is not (network, timeouts, overload, memory, quorum):
//   the same insert is sent again with the same insert_deduplication_token, forever, with backoff;
//   `needsOperator` marks the ones no retry fixes by itself (schema, grants, credentials, disk):
//   still retried, since every insert would fail alike and the rows must not be dead-lettered
//   for a server problem, but logged at error and shown on /healthz at once;
// - refused: a deterministic refusal of these rows. The batch is split in halves down to single
//   rows and the rows still refused are dead-lettered with ClickHouse's error as the reason.
//   Every ClickHouse code not listed as retryable is a refusal: retrying a refusal forever stalls
//   every later block (the poison-block bug), splitting a transient error only costs inserts.
//
// Codes and names: ClickHouse src/Common/ErrorCodes.cpp (the list of M(code, NAME) entries), and
// errorCodeToName() on the engine the tests run (chdb 3.4.0 = ClickHouse 26.7.2.1): a test holds
// every name below to the engine's. Meanings: the name, ClickHouse's messages for it, and for 252
// the three messages of MergeTreeData/MergeTreeDataWriter quoted below. Errors without a ClickHouse
// code (socket errors, our request timeout, an HTTP 5xx from a proxy) are retryable.

export type ErrorClass = "retryable" | "refused";

type Kind = "transient" | "operator" | "refused";

export const INSERT_ERROR_CODES: Readonly<Record<number, { readonly name: string; readonly kind: Kind }>> = {
  // Parse and type errors: a property of the rows.
  6: { name: "CANNOT_PARSE_TEXT", kind: "refused" },
  25: { name: "CANNOT_PARSE_ESCAPE_SEQUENCE", kind: "refused" }, // e.g. a lone UTF-16 surrogate
  26: { name: "CANNOT_PARSE_QUOTED_STRING", kind: "refused" },
  27: { name: "CANNOT_PARSE_INPUT_ASSERTION_FAILED", kind: "refused" },
  38: { name: "CANNOT_PARSE_DATE", kind: "refused" },
  41: { name: "CANNOT_PARSE_DATETIME", kind: "refused" },
  53: { name: "TYPE_MISMATCH", kind: "refused" },
  69: { name: "ARGUMENT_OUT_OF_BOUND", kind: "refused" },
  70: { name: "CANNOT_CONVERT_TYPE", kind: "refused" },
  72: { name: "CANNOT_PARSE_NUMBER", kind: "refused" },
  117: { name: "INCORRECT_DATA", kind: "refused" },
  321: { name: "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE", kind: "refused" },
  469: { name: "VIOLATED_CONSTRAINT", kind: "refused" }, // a CHECK constraint refused a row
  // 252 TOO_MANY_PARTS has three messages: "Too many partitions for single INSERT block (more than
  // N)" (max_partitions_per_insert_block: refused, and halving the block fixes it), "Too many parts
  // (N …) in table … Merges are processing significantly slower than inserts" (parts_to_throw_insert:
  // transient, the server throttles) and "Too many parts (N) in all partitions in total"
  // (max_parts_in_total: needs an operator). See tooManyParts().
  252: { name: "TOO_MANY_PARTS", kind: "transient" },

  // Transient: the server, the network or the cluster, not the rows.
  159: { name: "TIMEOUT_EXCEEDED", kind: "transient" },
  160: { name: "TOO_SLOW", kind: "transient" },
  173: { name: "CANNOT_ALLOCATE_MEMORY", kind: "transient" },
  198: { name: "DNS_ERROR", kind: "transient" },
  201: { name: "QUOTA_EXCEEDED", kind: "transient" }, // QUOTA_EXPIRED in older ErrorCodes.cpp; the quota interval ends
  202: { name: "TOO_MANY_SIMULTANEOUS_QUERIES", kind: "transient" },
  203: { name: "NO_FREE_CONNECTION", kind: "transient" },
  209: { name: "SOCKET_TIMEOUT", kind: "transient" },
  210: { name: "NETWORK_ERROR", kind: "transient" },
  225: { name: "NO_ZOOKEEPER", kind: "transient" },
  236: { name: "ABORTED", kind: "transient" },
  241: { name: "MEMORY_LIMIT_EXCEEDED", kind: "transient" },
  242: { name: "TABLE_IS_READ_ONLY", kind: "transient" }, // a replica without Keeper
  244: { name: "UNEXPECTED_ZOOKEEPER_ERROR", kind: "transient" },
  285: { name: "TOO_FEW_LIVE_REPLICAS", kind: "transient" },
  286: { name: "UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE", kind: "transient" },
  319: { name: "UNKNOWN_STATUS_OF_INSERT", kind: "transient" }, // the same token makes the retry safe
  364: { name: "RECEIVED_ERROR_TOO_MANY_REQUESTS", kind: "transient" },
  394: { name: "QUERY_WAS_CANCELLED", kind: "transient" }, // e.g. the server shutting down
  425: { name: "SYSTEM_ERROR", kind: "transient" },
  439: { name: "CANNOT_SCHEDULE_TASK", kind: "transient" },
  473: { name: "DEADLOCK_AVOIDED", kind: "transient" },
  999: { name: "KEEPER_EXCEPTION", kind: "transient" },
  1000: { name: "POCO_EXCEPTION", kind: "transient" }, // the server's own socket errors

  // Needs an operator: every insert fails alike until the server, schema or grants are fixed.
  16: { name: "NO_SUCH_COLUMN_IN_TABLE", kind: "operator" }, // the schema differs from the ingester's
  60: { name: "UNKNOWN_TABLE", kind: "operator" },
  62: { name: "SYNTAX_ERROR", kind: "operator" }, // the INSERT itself: an ingester/server version mismatch
  81: { name: "UNKNOWN_DATABASE", kind: "operator" },
  115: { name: "UNKNOWN_SETTING", kind: "operator" }, // a misspelt key in sink.settings
  164: { name: "READONLY", kind: "operator" },
  192: { name: "UNKNOWN_USER", kind: "operator" },
  193: { name: "WRONG_PASSWORD", kind: "operator" },
  194: { name: "REQUIRED_PASSWORD", kind: "operator" },
  195: { name: "IP_ADDRESS_NOT_ALLOWED", kind: "operator" },
  218: { name: "TABLE_IS_DROPPED", kind: "operator" },
  243: { name: "NOT_ENOUGH_SPACE", kind: "operator" },
  291: { name: "DATABASE_ACCESS_DENIED", kind: "operator" },
  452: { name: "SETTING_CONSTRAINT_VIOLATION", kind: "operator" }, // a profile forbids one of our settings
  497: { name: "ACCESS_DENIED", kind: "operator" },
  516: { name: "AUTHENTICATION_FAILED", kind: "operator" },
};

export interface ClassifiedError {
  readonly class: ErrorClass;
  /** True when retries will keep failing until someone fixes the server, schema or grants. */
  readonly needsOperator: boolean;
  /** Short text for logs and dead letters, e.g. `ClickHouse 27 CANNOT_PARSE_INPUT_ASSERTION_FAILED: …`. */
  readonly summary: string;
}

export function classifyInsertError(err: unknown): ClassifiedError {
  const code = clickhouseCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split("\n")[0]!.slice(0, 300);
  if (code === undefined) {
    // Network errors, timeouts, 5xx without a ClickHouse code: the classic retry case.
    return { class: "retryable", needsOperator: false, summary: firstLine };
  }
  const type = (err as { type?: string }).type || INSERT_ERROR_CODES[code]?.name || "";
  const summary = `ClickHouse ${code}${type ? ` ${type}` : ""}: ${firstLine}`;
  const kind = code === 252 ? tooManyParts(message) : (INSERT_ERROR_CODES[code]?.kind ?? "refused");
  if (kind === "refused") return { class: "refused", needsOperator: false, summary };
  return { class: "retryable", needsOperator: kind === "operator", summary };
}

/** Which of TOO_MANY_PARTS' three messages this is (see the table). */
function tooManyParts(message: string): Kind {
  if (/too many partitions for single insert block/i.test(message)) return "refused";
  if (/in all partitions in total/i.test(message)) return "operator";
  return "transient";
}

function clickhouseCode(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  const code = Number((err as { code: unknown }).code);
  // Node's own error codes are strings like "ECONNREFUSED": not ClickHouse codes.
  return Number.isInteger(code) && code > 0 ? code : undefined;
}
