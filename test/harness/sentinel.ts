// Redis Sentinel for tests: `redis-server <conf> --sentinel` processes (no other package), each with its own
// writable config file, monitoring one master with short timeouts so a failover takes a few seconds.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, sleep, REDIS_SERVER_BIN, type RedisServer } from './redis';

export interface Sentinels {
  addrs: string[];
  /** The master's "host:port" as the sentinels name it now. */
  master(): Promise<string>;
  /** Waits (30 s at most) until the sentinels name a master other than `old`: the promoted replica's "host:port". */
  promotedFrom(old: string): Promise<string>;
  stop(): void;
}

export async function startSentinels(master: RedisServer, name: string, count = 3): Promise<Sentinels> {
  const pids: number[] = [];
  const addrs: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'redis-sync-sentinel-'));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} ${master.host} ${master.port} 2`,
      `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 5000`, `sentinel parallel-syncs ${name} 1`, ''].join('\n'));
    const child = spawn(REDIS_SERVER_BIN, [conf, '--sentinel'], { stdio: 'ignore' });
    child.unref();
    pids.push(child.pid!);
    addrs.push(`127.0.0.1:${port}`);
  }
  const ask = async (): Promise<string> => {
    for (const a of addrs) {
      const [host, port] = a.split(':');
      const c = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const r = (await c.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
        if (r) return `${r[0]}:${r[1]}`;
      } catch { /* next sentinel */ } finally {
        c.disconnect();
      }
    }
    return '';
  };
  for (let i = 0; i < 100 && (await ask()) === ''; i++) await sleep(100);
  process.on('exit', () => { for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } });
  const promotedFrom = async (old: string): Promise<string> => {
    let now = '';
    for (let i = 0; i < 300 && (now === '' || now === old); i++) {
      await sleep(100);
      now = await ask();
    }
    if (now === '' || now === old) throw new Error(`Sentinel promoted no replica of ${old} within 30 s`);
    return now;
  };
  return { addrs, master: ask, promotedFrom, stop: () => { for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } } };
}
