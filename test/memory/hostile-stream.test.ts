// Issue 14: a replication stream declaring a 67M-element array (21 MB of such a stream once made 467 MB of RSS)
// fails the task clearly, naming the offset and the declared size, with the daemon's memory bounded. Fed by a fake
// master: an empty snapshot, then the hostile command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import type { Socket } from 'node:net';
import { startRedis, HOST } from '../harness/redis';
import { startDaemon, removeDir, exitedWithin } from '../harness/daemon';
import { taskSpec } from '../harness/sync';
import { watchPeakRss } from '../harness/big-keys';
import { startFakeMaster, handshakeThen } from '../source/fake-master';
import type { TaskSpec } from '../../provider/spec/types';

const REPLID = 'a'.repeat(40);
const OFFSET = 1000;
const DECLARED = 67_108_864;
/** An RDB with no keys: the header, EOF, and a zero (disabled) checksum. */
const EMPTY_RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
const EMPTY_BULKS = Buffer.from('$0\r\n\r\n'.repeat(100_000));

/** Streams `*DECLARED` then `mb` MB of empty bulks, then a byte that is not a bulk, in 600 KB writes. */
function hostileStream(socket: Socket, mb: number): void {
  socket.write(`+FULLRESYNC ${REPLID} ${OFFSET}\r\n$${EMPTY_RDB.length}\r\n`);
  socket.write(EMPTY_RDB);
  socket.write(`*${DECLARED}\r\n`);
  let left = Math.ceil((mb * 1024 * 1024) / EMPTY_BULKS.length);
  const more = (): void => {
    while (left > 0) {
      left--;
      if (!socket.write(EMPTY_BULKS)) return void socket.once('drain', more);
    }
    socket.write('#');
  };
  more();
}

async function runAgainstHostileMaster(extra: Partial<TaskSpec>, mb: number): Promise<{ message: string; rss: number }> {
  const fake = await startFakeMaster((argv, socket) => {
    if (argv[0].toUpperCase() === 'PSYNC') hostileStream(socket, mb);
    else handshakeThen('')(argv, socket);
  });
  const dst = await startRedis();
  try {
    const spec = taskSpec('hostile', { addr: `${HOST}:${fake.port}` }, dst, { heartbeat: { enabled: false }, ...extra });
    const d = startDaemon(spec, { args: ['--skip-prechecks'] });
    const peak = watchPeakRss(d.child.pid!);
    try {
      const st = await d.waitForState('Failed', 50_000);
      const rss = peak.stop();
      assert.notEqual(await exitedWithin(d, 20_000), 'still running');
      return { message: st.lastError?.message ?? '', rss };
    } finally {
      peak.stop();
      await d.kill();
      removeDir(dirname(d.specPath));
    }
  } finally {
    await Promise.all([fake.close(), dst.stop()]);
  }
}

test('a stream declaring a 67M-element array fails the task at the header, naming the offset and the size', { timeout: 60_000 }, async () => {
  const { message, rss } = await runAgainstHostileMaster({}, 21);
  process.stdout.write(`# ${message}\n# daemon peak RSS ${rss.toFixed(0)} MB\n`);
  assert.match(message, new RegExp(`offset ${OFFSET + 1}\\b`));
  assert.match(message, /array length of at most 1048576 \(tuning\.maxCommandArgs\)/);
  assert.match(message, /declared length of 67108864/);
  assert.ok(rss < 150, `daemon peak RSS ${rss.toFixed(0)} MB`);
});

test('with the limit raised, 21 MB of its empty bulks cost about 21 MB, not ~135 bytes per element', { timeout: 60_000 }, async () => {
  const { message, rss } = await runAgainstHostileMaster({ tuning: { maxCommandArgs: DECLARED } }, 21);
  process.stdout.write(`# ${message}\n# daemon peak RSS ${rss.toFixed(0)} MB\n`);
  assert.match(message, /expected '\$' \(bulk 3700001 of 67108864\)/);
  assert.ok(rss < 150, `daemon peak RSS ${rss.toFixed(0)} MB`);
});
