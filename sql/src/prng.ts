// Deterministic randomness for generated data: the ingester's synthetic source (ingest/src) and
// the tests' data (sql/testing/ticks.ts) both draw from it, so it sits in the lowest layer both
// may import.

/** A small deterministic PRNG (mulberry32), so a seed repeats a run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
