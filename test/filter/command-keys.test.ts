// The keys the daemon routes by must be the keys the server sees: commandKeys() is checked against a real
// redis-server's COMMAND GETKEYS on samples of every write command whose keys are not simply its first argument
// (subcommands, numkeys, options, trailing timeouts), and every such command the server knows must have a sample,
// so a command added to Redis with its key elsewhere fails here instead of being routed to the wrong master.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { commandKeys } from '../../provider/filter/command-keys';

const SAMPLES: string[][] = [
  ['XGROUP', 'CREATE', '{x}:s', 'g', '0'], ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM', 'ENTRIESREAD', '3'],
  ['XGROUP', 'SETID', 's', 'g', '1-0'], ['XGROUP', 'DESTROY', 's', 'g'],
  ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c'], ['XGROUP', 'DELCONSUMER', 's', 'g', 'c'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'], ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '2', 'BLOCK', '0', 'NOACK', 'STREAMS', 'a', 'b', '>', '>'],
  ['SORT', 'k'], ['SORT', 'k', 'STORE', 'dst'], ['SORT', 'k', 'BY', 'store', 'GET', 'store', 'LIMIT', '0', '5', 'DESC', 'ALPHA', 'STORE', 'd1', 'STORE', 'd2'],
  ['SORT', 'k', 'BY', 'w_*', 'GET', '#', 'GET', 'o_*'],
  ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'dst'], ['GEORADIUS', 'g', '15', '37', '200', 'km', 'WITHDIST', 'COUNT', '3', 'STOREDIST', 'dd'],
  ['GEORADIUSBYMEMBER', 'g', 'm', '100', 'km', 'STORE', 'dst'], ['GEORADIUSBYMEMBER', 'g', 'm', '100', 'km'],
  ['MIGRATE', 'h', '1', 'k', '0', '1000'], ['MIGRATE', 'h', '1', '', '0', '1000', 'COPY', 'AUTH2', 'u', 'p', 'KEYS', 'a', 'b'],
  ['BLPOP', 'a', 'b', '0'], ['BRPOP', 'a', '1.5'], ['BZPOPMIN', 'a', 'b', '0'], ['BZPOPMAX', 'a', '0'],
  ['BLMPOP', '0', '2', 'a', 'b', 'LEFT'], ['BZMPOP', '1', '1', 'z', 'MIN', 'COUNT', '2'], ['LMPOP', '2', 'a', 'b', 'RIGHT'], ['ZMPOP', '1', 'z', 'MAX'],
  ['BITOP', 'AND', 'd', 'a', 'b'], ['MSET', 'a', '1', 'b', '2'], ['MSETNX', 'a', '1', 'b', '2'],
  ['DEL', 'a', 'b'], ['UNLINK', 'a'], ['RENAME', 'a', 'b'], ['RENAMENX', 'a', 'b'], ['COPY', 'a', 'b', 'DB', '1'],
  ['SMOVE', 'a', 'b', 'm'], ['RPOPLPUSH', 'a', 'b'], ['BRPOPLPUSH', 'a', 'b', '0'], ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'], ['BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '0'],
  ['SINTERSTORE', 'd', 'a', 'b'], ['SUNIONSTORE', 'd', 'a'], ['SDIFFSTORE', 'd', 'a', 'b'], ['PFMERGE', 'd', 'a', 'b'], ['PFCOUNT', 'a', 'b'],
  ['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'], ['ZINTERSTORE', 'd', '1', 'a'], ['ZDIFFSTORE', 'd', '2', 'a', 'b'],
  ['ZRANGESTORE', 'd', 'a', '0', '-1'], ['GEOSEARCHSTORE', 'd', 'a', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km'],
  ['EVAL', 'return 1', '2', 'a', 'b', 'x'], ['EVALSHA', 'abc', '0'], ['EVAL_RO', 'return 1', '1', 'a'], ['EVALSHA_RO', 'abc', '1', 'a'],
  ['FCALL', 'f', '2', 'a', 'b'], ['FCALL_RO', 'f', '0'],
  ['PFDEBUG', 'GETREG', 'h'],
  ['XADD', 's', '1-0', 'f', 'v'], ['XACK', 's', 'g', '1-0'], ['XCLAIM', 's', 'g', 'c', '0', '1-0'], ['XAUTOCLAIM', 's', 'g', 'c', '0', '0-0'],
  ['SET', 'k', 'v'], ['SPUBLISH', 'ch', 'm'],
  ['FLUSHALL'], ['FLUSHDB', 'ASYNC'], ['SWAPDB', '0', '1'], ['PUBLISH', 'ch', 'm'],
  ['FUNCTION', 'LOAD', 'x'], ['FUNCTION', 'DELETE', 'lib'], ['FUNCTION', 'FLUSH'], ['FUNCTION', 'RESTORE', 'x'],
  ['SCRIPT', 'LOAD', 'return 1'], ['SCRIPT', 'FLUSH'],
];

/** Where the daemon knowingly differs: a shard channel is no key to GETKEYS, but a cluster serves it from its slot. */
const ROUTED_LIKE_A_KEY = new Map([['SPUBLISH ch m', ['ch']]]);

type CommandEntry = [string, number, string[], number, number, number, unknown, unknown, unknown, CommandEntry[]?];

/** Every write (or may-replicate) command and subcommand whose keys are not just its first argument. */
function unusualKeySpecs(entries: CommandEntry[]): string[] {
  const out: string[] = [];
  const visit = (e: CommandEntry): void => {
    const [name, , flags, first, last, step] = e;
    const writes = flags.includes('write') || flags.includes('may_replicate');
    const simple = first === 1 && last === 1 && step === 1 && !flags.includes('movablekeys');
    if (writes && !simple && !(e[9]?.length)) out.push(name.toLowerCase());
    for (const sub of e[9] ?? []) visit(sub);
  };
  entries.forEach(visit);
  return out;
}

function sampleName(argv: string[]): string[] {
  return [argv[0].toLowerCase(), `${argv[0]}|${argv[1] ?? ''}`.toLowerCase()];
}

test('commandKeys() finds the keys COMMAND GETKEYS finds, for every write command whose keys are not just argv[1]', async () => {
  const server = await startRedis();
  try {
    const c = server.client();
    for (const argv of SAMPLES) {
      let expected: string[];
      try {
        expected = ((await c.call('COMMAND', 'GETKEYS', ...argv)) as Buffer[]).map(String);
      } catch (e) {
        // Keyless commands: "has no key arguments" / "Invalid arguments".
        assert.match((e as Error).message, /no key arguments|Invalid arguments|Invalid command|wrong number of arguments for 'command\|getkeys'/, argv.join(' '));
        expected = [];
      }
      expected = ROUTED_LIKE_A_KEY.get(argv.join(' ')) ?? expected;
      assert.deepEqual(commandKeys(argv.map((a) => Buffer.from(a))).map(String), expected, argv.join(' '));
    }
    const sampled = new Set(SAMPLES.flatMap(sampleName));
    const missing = unusualKeySpecs((await c.call('COMMAND')) as CommandEntry[]).filter((n) => !sampled.has(n));
    assert.deepEqual(missing, [], 'write commands whose keys are not argv[1] and that have no sample (add one, and a key spec if needed)');
  } finally {
    await server.stop();
  }
});
