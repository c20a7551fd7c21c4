// Each source master gets its own heartbeat key, with a hash tag that maps into that master's slots, so the write
// lands on (and comes back through the stream of) the master it measures.
import calculateSlot from 'cluster-key-slot';

export function heartbeatKeyForSlots(base: string, slots: Array<[number, number]>): string {
  for (let i = 0; i < 1_000_000; i++) {
    const tag = i.toString(36);
    const slot = calculateSlot(`{${tag}}`);
    if (slots.some(([a, b]) => slot >= a && slot <= b)) return `${base}:{${tag}}`;
  }
  throw new Error(`no hash tag found for slots ${JSON.stringify(slots)}`);
}

const ANY_TASK = Buffer.from('redis-sync:heartbeat:');

/**
 * A heartbeat key: this task's (the base itself, or with a hash tag for a cluster source) or any task's under the
 * default naming, so that one-to-many and cascading tasks never copy each other's heartbeats.
 */
export function isHeartbeatKey(base: Buffer, key: Buffer): boolean {
  if (key.equals(base)) return true;
  if (key.length > ANY_TASK.length && key.subarray(0, ANY_TASK.length).equals(ANY_TASK)) return true;
  return key.length > base.length + 3 && key.subarray(0, base.length).equals(base) && key[base.length] === 0x3a && key[base.length + 1] === 0x7b;
}
