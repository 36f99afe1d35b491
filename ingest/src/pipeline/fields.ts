// Checks of single ticker fields, shared by the reference decoder (decode.ts) and its fast path
// (fast-ticker.ts), so both accept exactly the same text. The patterns are sources, so the fast
// path can compile them into its one expression for a whole message.

export const PRODUCT_ID_PATTERN = String.raw`[A-Z0-9]{2,12}-[A-Z0-9]{2,12}`;
export const ISO_TIME_PATTERN = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z`;
const PRODUCT_ID = new RegExp(`^${PRODUCT_ID_PATTERN}$`);
const ISO_TIME = new RegExp(`^${ISO_TIME_PATTERN}$`);

export function isProductId(s: string): boolean {
  return PRODUCT_ID.test(s);
}

export function isIsoTime(s: string): boolean {
  return ISO_TIME.test(s);
}

/**
 * `2025-02-04T02:00:06.419368Z` → `2025-02-04 02:00:06.419368` (the UTC column's text form, µs kept)
 * for text that isIsoTime; undefined when it is not a real date and time.
 */
export function isoToClickhouse(s: string): string | undefined {
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || digits(s, 11, 2) > 23 || digits(s, 14, 2) > 59 || digits(s, 17, 2) > 60 || y < 1970 || y > 2299) {
    return undefined;
  }
  const seconds = `${s.slice(0, 10)} ${s.slice(11, 19)}`;
  const frac = s.length > 20 ? s.slice(20, s.length - 1) : ""; // after "SS." up to the "Z"
  return `${seconds}.${frac.length === 6 ? frac : frac.padEnd(6, "0").slice(0, 6)}`;
}

/** The decimal value of `length` ASCII digits of `text` starting at `from` (already checked to be digits). */
function digits(text: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

/**
 * The text a decimal (already checked against the decimal pattern) takes in the line: as received
 * when it is plain digits with at most one inner point, no leading zero (other than "0" or "0.…"),
 * at most 15 significant digits and 22 after the point — JavaScript's Number() and ClickHouse
 * read such text to the same double (both round it correctly: an integer below 2^53 over an exact
 * power of ten). Anything else becomes JS's shortest form of Number(text). Undefined when the
 * value is not finite (a string of 400 digits).
 */
export function decimalText(text: string): string | undefined {
  if (isCopyable(text)) return text;
  const n = Number(text);
  return Number.isFinite(n) ? `${n}` : undefined;
}

function isCopyable(s: string): boolean {
  if (s.length === 0 || s.length > 24) return false;
  let point = -1;
  let significant = 0;
  let leading = true; // still in leading zeros
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (point >= 0 || i === 0 || i === s.length - 1) return false;
      point = i;
    } else if (c >= 48 && c <= 57) {
      if (leading && c === 48) continue;
      leading = false;
      significant++;
    } else {
      return false;
    }
  }
  const intDigits = point < 0 ? s.length : point;
  if (intDigits > 1 && s.charCodeAt(0) === 48) return false;
  if (point >= 0 && s.length - point - 1 > 22) return false;
  return significant <= 15;
}
