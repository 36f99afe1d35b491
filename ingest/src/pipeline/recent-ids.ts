// The identities (sequence or trade_id) of one product's most recent rows, for dropping a repeated
// message before it reaches the spool. Bounded: past `capacity` the oldest identity is forgotten,
// and a repeat of a forgotten one is left out at insert time instead (sinks/identities.ts), where
// the table itself is asked. So the bound costs spool bytes, never a row stored twice or lost.
export class RecentIds {
  private readonly ids = new Set<number>();
  private readonly ring: Float64Array;
  private next = 0;

  constructor(readonly capacity: number) {
    this.ring = new Float64Array(capacity);
  }

  /** Adds `id`; false when it is already held (a repeat). */
  add(id: number): boolean {
    if (this.ids.has(id)) return false;
    if (this.ids.size >= this.capacity) this.ids.delete(this.ring[this.next]!);
    this.ids.add(id);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
