// Sorts ClickHouse insert errors: retry (the data is fine, the server or network is not) or
// bad data (a retry cannot help: split the batch and dead-letter the rows ClickHouse refuses).
// Codes from ClickHouse src/Common/ErrorCodes.cpp; vector's ClickHouse sink does not retry 117
// or 53 either (see docs/ingester.md).

export type ErrorClass = "retryable" | "bad_data";

/** Parse and type errors: a property of the rows, not of the moment. */
const BAD_DATA_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE (e.g. a lone UTF-16 surrogate)
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
]);

/** Retried like any server trouble, but no retry fixes them without an operator. */
const NEEDS_OPERATOR_CODES = new Set([
  16, // NO_SUCH_COLUMN_IN_TABLE (schema differs from the ingester's)
  60, // UNKNOWN_TABLE
  81, // UNKNOWN_DATABASE
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
]);

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
  const type = (err as { type?: string }).type ?? "";
  const summary = `ClickHouse ${code}${type ? ` ${type}` : ""}: ${firstLine}`;
  if (BAD_DATA_CODES.has(code)) return { class: "bad_data", needsOperator: false, summary };
  return { class: "retryable", needsOperator: NEEDS_OPERATOR_CODES.has(code), summary };
}

function clickhouseCode(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  const code = Number((err as { code: unknown }).code);
  // Node's own error codes are strings like "ECONNREFUSED": not ClickHouse codes.
  return Number.isInteger(code) && code > 0 ? code : undefined;
}
