// The reference guide's list of synchronized commands is the floor: each runs on the source while the task runs,
// and the destination must converge (verify consistent) after each one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { verifyTask } from '../../provider/verify/verify-task';
import { caughtUp } from '../harness/sync';
import type { TaskSpec } from '../../provider/spec/types';

type Step = [name: string, commands: Array<Array<string | number>>];

const LUA = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])";

const STEPS: Step[] = [
  ['APPEND', [['SET', 'str', 'a'], ['APPEND', 'str', 'bc']]],
  ['BITOP', [['SET', 'b1', 'abc'], ['SET', 'b2', 'xyz'], ['BITOP', 'AND', 'bres', 'b1', 'b2']]],
  ['BLPOP BRPOP BRPOPLPUSH', [['RPUSH', 'bl', 'a', 'b', 'c', 'd'], ['BLPOP', 'bl', 1], ['BRPOP', 'bl', 1], ['BRPOPLPUSH', 'bl', 'bl2', 1]]],
  ['DECR DECRBY DEL', [['SET', 'n', '10'], ['DECR', 'n'], ['DECRBY', 'n', 3], ['SET', 'gone', 'x'], ['DEL', 'gone']]],
  ['EVAL EVALSHA', [['EVAL', LUA, 2, 'ev1', 'ev2', 'v'], ['SCRIPT', 'LOAD', LUA], ['EVALSHA', '__SHA__', 2, 'ev1', 'ev2', 'w']]],
  ['MULTI EXEC', [['MULTI'], ['SET', 'tx1', '1'], ['INCR', 'tx2'], ['RPUSH', 'txl', 'a'], ['EXEC']]],
  ['EXPIRE EXPIREAT PEXPIRE PEXPIREAT PERSIST', [['SET', 'e1', 'x'], ['EXPIRE', 'e1', 500], ['SET', 'e2', 'x'], ['EXPIREAT', 'e2', 4_000_000_000], ['SET', 'e3', 'x'], ['PEXPIRE', 'e3', 900_000], ['SET', 'e4', 'x'], ['PEXPIREAT', 'e4', 4_000_000_000_000], ['SET', 'e5', 'x'], ['EXPIRE', 'e5', 100], ['PERSIST', 'e5']]],
  ['GEOADD', [['GEOADD', 'geo', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania']]],
  ['GETSET', [['SET', 'gs', 'old'], ['GETSET', 'gs', 'new']]],
  ['HDEL HINCRBY HINCRBYFLOAT HMSET HSET HSETNX', [['HMSET', 'h', 'a', '1', 'b', '2', 'c', 'x'], ['HSET', 'h', 'd', '4'], ['HSETNX', 'h', 'a', 'no'], ['HSETNX', 'h', 'e', '5'], ['HINCRBY', 'h', 'a', 10], ['HINCRBYFLOAT', 'h', 'b', '1.25'], ['HDEL', 'h', 'c']]],
  ['INCR INCRBY INCRBYFLOAT', [['INCR', 'i'], ['INCRBY', 'i', 41], ['SET', 'f', '1.5'], ['INCRBYFLOAT', 'f', '0.1']]],
  ['LINSERT LPOP LPUSH LPUSHX LREM LSET LTRIM', [['RPUSH', 'l', 'a', 'b', 'c', 'b', 'd', 'e'], ['LINSERT', 'l', 'BEFORE', 'c', 'x'], ['LPOP', 'l'], ['LPUSH', 'l', 'z'], ['LPUSHX', 'l', 'y'], ['LPUSHX', 'nolist', 'y'], ['LREM', 'l', 1, 'b'], ['LSET', 'l', 0, 'Y'], ['LTRIM', 'l', 0, 4]]],
  ['MOVE', [['SET', 'mv', 'x'], ['MOVE', 'mv', 2]]],
  ['MSET MSETNX', [['MSET', 'm1', '1', 'm2', '2'], ['MSETNX', 'm3', '3', 'm4', '4'], ['MSETNX', 'm1', 'no', 'm5', 'no']]],
  ['PFADD PFMERGE', [['PFADD', 'hll1', 'a', 'b'], ['PFADD', 'hll2', 'c'], ['PFMERGE', 'hll3', 'hll1', 'hll2']]],
  ['PSETEX SETEX SETNX SET', [['PSETEX', 'ps', 900_000, 'v'], ['SETEX', 'se', 900, 'v'], ['SETNX', 'sn', 'v'], ['SETNX', 'sn', 'no'], ['SET', 'plain', 'v', 'KEEPTTL'], ['SET', 'sx', 'v', 'EX', 800]]],
  ['RENAME RENAMENX', [['SET', 'r1', 'v'], ['RENAME', 'r1', 'r2'], ['SET', 'r3', 'v'], ['RENAMENX', 'r3', 'r4']]],
  ['RESTORE', [['SET', 'tmp-src', 'dumped'], ['__RESTORE__', 'tmp-src', 'restored']]],
  ['RPOP RPOPLPUSH RPUSH RPUSHX', [['RPUSH', 'rl', 'a', 'b', 'c'], ['RPOP', 'rl'], ['RPOPLPUSH', 'rl', 'rl2'], ['RPUSHX', 'rl', 'x'], ['RPUSHX', 'none', 'x']]],
  ['SADD SDIFFSTORE SINTERSTORE SMOVE SPOP SREM SUNIONSTORE', [['SADD', 's1', 'a', 'b', 'c', 'd'], ['SADD', 's2', 'c', 'd', 'e'], ['SDIFFSTORE', 'sd', 's1', 's2'], ['SINTERSTORE', 'si', 's1', 's2'], ['SUNIONSTORE', 'su', 's1', 's2'], ['SMOVE', 's1', 's2', 'a'], ['SPOP', 's1'], ['SREM', 's2', 'e']]],
  ['SELECT', [['SELECT', 1], ['SET', 'in-db1', 'v'], ['SELECT', 0]]],
  ['SETBIT SETRANGE', [['SETBIT', 'bits', 77, 1], ['SET', 'sr', 'Hello World'], ['SETRANGE', 'sr', 6, 'Redis']]],
  ['ZADD ZINCRBY ZINTERSTORE ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZUNIONSTORE', [['ZADD', 'z1', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e'], ['ZADD', 'z2', 1, 'a', 10, 'x'], ['ZINCRBY', 'z1', 2.5, 'a'], ['ZINTERSTORE', 'zi', 2, 'z1', 'z2'], ['ZUNIONSTORE', 'zu', 2, 'z1', 'z2'], ['ZREM', 'z1', 'b'], ['ZADD', 'zl', 0, 'a', 0, 'b', 0, 'c', 0, 'd'], ['ZREMRANGEBYLEX', 'zl', '[b', '[c'], ['ZREMRANGEBYRANK', 'z1', 0, 0], ['ZREMRANGEBYSCORE', 'z1', 5, 5]]],
  ['SWAPDB', [['SELECT', 2], ['SET', 'in-db2', 'v'], ['SELECT', 0], ['SWAPDB', 1, 2]]],
  ['UNLINK', [['SET', 'u1', 'v'], ['SET', 'u2', 'v'], ['UNLINK', 'u1', 'u2']]],
  ['XADD XCLAIM XDEL XAUTOCLAIM XGROUP CREATECONSUMER XTRIM', [
    ['XADD', 'xs', '1-1', 'f', 'v1'], ['XADD', 'xs', '2-1', 'f', 'v2'], ['XADD', 'xs', '3-1', 'f', 'v3'], ['XADD', 'xs', '4-1', 'f', 'v4'],
    ['XGROUP', 'CREATE', 'xs', 'g', '0'], ['XGROUP', 'CREATECONSUMER', 'xs', 'g', 'carol'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', 3, 'STREAMS', 'xs', '>'],
    ['XCLAIM', 'xs', 'g', 'bob', 0, '1-1'], ['XAUTOCLAIM', 'xs', 'g', 'dave', 0, '0-0', 'COUNT', 1],
    ['XDEL', 'xs', '4-1'], ['XTRIM', 'xs', 'MAXLEN', 3]]],
  ['FUNCTION LOAD', [['FUNCTION', 'LOAD', "#!lua name=libsync\nredis.register_function('fsync', function(keys, args) return redis.call('SET', keys[1], args[1]) end)"], ['FCALL', 'fsync', 1, 'fk', 'fv']]],
  ['FLUSHDB', [['SELECT', 3], ['SET', 'db3-key', 'v'], ['FLUSHDB'], ['SELECT', 0]]],
  ['PUBLISH is not forwarded', [['PUBLISH', 'chan', 'msg']]],
];

test('every command of the reference list converges on the destination', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const spec: TaskSpec = {
    name: 'commands', source: { mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'standalone', nodes: [dst.addr] },
    heartbeat: { intervalMs: 100 },
  };
  const d = startDaemon(spec);
  const c = src.client().duplicate();
  try {
    await d.waitForState('Synchronizing', 60_000);
    let sha = '';
    for (const [name, commands] of STEPS) {
      for (const cmd of commands) {
        if (cmd[0] === '__RESTORE__') {
          const payload = await c.dumpBuffer(String(cmd[1]));
          await c.call('RESTORE', String(cmd[2]), '0', payload);
          continue;
        }
        const args = cmd.map((a) => (a === '__SHA__' ? sha : String(a)));
        const reply = await c.call(args[0], ...args.slice(1));
        if (args[0] === 'SCRIPT') sha = String(reply);
      }
      await caughtUp(d, src, 15_000);
      for (const db of [0, 1, 2, 3]) {
        const report = await verifyTask({ ...spec, databases: [db] });
        assert.equal(report.consistent, true, `${name}: db${db} differs: ${JSON.stringify(report.firstMismatches)}`);
      }
    }
    const [srcFns, dstFns] = await Promise.all([c.call('FUNCTION', 'LIST'), dst.client().call('FUNCTION', 'LIST')]);
    assert.deepEqual(dstFns, srcFns, 'function libraries differ');
    assert.equal(await dst.client().get('restored'), 'dumped');
    assert.notEqual(d.status()?.state, 'Failed');
  } finally {
    c.disconnect();
    await d.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});
