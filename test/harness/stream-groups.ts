// The consumer-group sequence of issue 18, on one stream per iteration ({xrN}:s, one slot), on one connection: a
// stream, its group and the group's id, then a read, an ack and two claims. Any reordering on the way to a cluster
// destination makes it refuse with NOGROUP.
import type Redis from 'ioredis';

export const GROUP_ITERATIONS = 200;

/** One iteration: XADD, XGROUP CREATE, XGROUP SETID (the issue's), then XREADGROUP, XACK, XCLAIM, XAUTOCLAIM. */
export async function groupIteration(c: Pick<Redis, 'pipeline'>, n: number): Promise<void> {
  const k = `{xr${n}}:s`;
  const p = c.pipeline();
  p.xadd(k, '1-0', 'f', 'v');
  p.xgroup('CREATE', k, 'g', '0');
  p.xgroup('SETID', k, 'g', '1-0');
  p.xadd(k, '2-0', 'f', 'v');
  p.xadd(k, '3-0', 'f', 'v');
  p.xadd(k, '4-0', 'f', 'v');
  p.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 3, 'STREAMS', k, '>');
  p.xack(k, 'g', '2-0');
  p.xclaim(k, 'g', 'c2', 0, '3-0');
  p.xautoclaim(k, 'g', 'c3', 0, '0-0', 'COUNT', 1);
  p.xgroup('CREATECONSUMER', k, 'g', 'c4');
  const replies = await p.exec();
  const failed = replies?.find(([err]) => err);
  if (failed) throw failed[0];
}
