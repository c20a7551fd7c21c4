// A load whose every doubled or lost command shows: INCR counters, RPUSH and LPUSH lists of unique elements, APPEND
// strings, over `keys` keys of each kind; and the comparison of the destination with the source, key by key.
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { sleep } from '../harness/redis';

/** Pipelines of 40 commands, about one per ms, until stop() (or 4M commands). progress.sent follows the load. */
export async function exactLoad(c: Redis, prefix: string, keys: number, stop: () => boolean, progress: { sent: number }): Promise<number> {
  let sent = 0;
  while (!stop() && sent < 4_000_000) {
    const p = c.pipeline();
    for (let i = 0; i < 40; i++, sent++) {
      const k = Math.floor(sent / 4) % keys;
      switch (sent % 4) {
        case 0: p.incr(`${prefix}:c:${k}`); break;
        case 1: p.rpush(`${prefix}:r:${k}`, `e${sent}`); break;
        case 2: p.lpush(`${prefix}:l:${k}`, `e${sent}`); break;
        default: p.append(`${prefix}:a:${k}`, `${sent},`);
      }
    }
    await p.exec();
    progress.sent = sent;
    // Paced: the load must last through every phase of faults.
    await sleep(1);
  }
  return sent;
}

/** exactLoad on a connection of its own, running until finish(), which says how many commands were sent. */
export function runExactLoad(c: Redis, prefix: string, keys: number): { progress: { sent: number }; finish(): Promise<number> } {
  const loader = c.duplicate();
  let stop = false;
  const progress = { sent: 0 };
  const loading = exactLoad(loader, prefix, keys, () => stop, progress);
  return {
    progress,
    async finish() {
      stop = true;
      try {
        return await loading;
      } finally {
        loader.disconnect();
      }
    },
  };
}

/** Every key of the load that differs between source and destination, named with both sides' sizes. */
export async function exactDiffs(src: Redis | Cluster, dst: Redis | Cluster, prefix: string, keys: number): Promise<{ diffs: string[]; counters: number; elements: number; appended: number }> {
  const diffs: string[] = [];
  const total = { counters: 0, elements: 0, appended: 0 };
  for (let k = 0; k < keys; k++) {
    const [s1, d1, s2, d2, s3, d3, s4, d4] = await Promise.all([
      src.get(`${prefix}:c:${k}`), dst.get(`${prefix}:c:${k}`),
      src.lrange(`${prefix}:r:${k}`, 0, -1), dst.lrange(`${prefix}:r:${k}`, 0, -1),
      src.lrange(`${prefix}:l:${k}`, 0, -1), dst.lrange(`${prefix}:l:${k}`, 0, -1),
      src.get(`${prefix}:a:${k}`), dst.get(`${prefix}:a:${k}`),
    ]);
    if (s1 !== d1) diffs.push(`${prefix}:c:${k} source ${s1} destination ${d1}`);
    if (s2.join() !== d2.join()) diffs.push(`${prefix}:r:${k} source ${s2.length} elements, destination ${d2.length}`);
    if (s3.join() !== d3.join()) diffs.push(`${prefix}:l:${k} source ${s3.length} elements, destination ${d3.length}`);
    if (s4 !== d4) diffs.push(`${prefix}:a:${k} source ${s4?.length} bytes, destination ${d4?.length}`);
    total.counters += Number(s1 ?? 0);
    total.elements += s2.length + s3.length;
    total.appended += s4?.length ?? 0;
  }
  return { diffs, ...total };
}
