// Prechecks of an RDB file source, before anything is written: the file is read whole once (it exists, is readable,
// is an RDB of a supported version, parses to its end and its CRC-64), what it holds that the destination cannot
// take is named (the destination-unsupported-data check), and, when the stream of a server follows the file, that
// server must still hold the file's point in its replication backlog.
import type { PrecheckItem } from '../state/status';
import type { NodeAddress } from '../spec/types';
import type { NodeFacts } from './node-facts';
import type { UnsupportedFinding } from './unsupported-inventory';
import { withClient } from './node-facts';
import { RdbReader } from '../rdb/reader';
import { readRdbFileInfo, streamRdbFile, rdbFileError, type RdbFileInfo } from '../source/rdb-file';
import { dialectFor, type Dialect } from '../writer/dialect/dialect';
import { serverLabel } from '../writer/dialect/server-info';
import { formatHostPort } from '../spec/address';

const EXAMPLES = 5;

export interface RdbFileFacts {
  path: string;
  info: RdbFileInfo | null;
  /** Why the file cannot be loaded (names the file, the byte offset and what to do); null when it parsed whole. */
  error: string | null;
  keys: number;
  streams: string[];
  streamCount: number;
  fieldTtlHashes: string[];
  fieldTtlCount: number;
  functions: string[];
}

/** Reads the file to its end without writing anything (the reader keeps values as raw bytes: cheap). */
export async function scanRdbFile(path: string): Promise<RdbFileFacts> {
  const facts: RdbFileFacts = { path, info: null, error: null, keys: 0, streams: [], streamCount: 0, fieldTtlHashes: [], fieldTtlCount: 0, functions: [] };
  try {
    facts.info = await readRdbFileInfo(path);
    const info = facts.info;
    const reader = new RdbReader();
    await new Promise<void>((resolve, reject) => {
      const take = (e: ReturnType<RdbReader['end']>[number]): void => {
        const named = (list: string[], db: number, key: Buffer): void => { if (list.length < EXAMPLES) list.push(`${db}:${key.toString('utf8')}`); };
        if (e.kind === 'key' || e.kind === 'bigkey-begin') {
          facts.keys++;
          if (e.valueKind === 'stream') { facts.streamCount++; named(facts.streams, e.db, e.key); }
          // RDB_TYPE_HASH_METADATA / HASH_LISTPACK_EX (and their pre-GA forms): hashes whose fields have TTLs.
          if (e.valueKind === 'hash' && e.rdbType >= 22 && e.rdbType <= 25) { facts.fieldTtlCount++; named(facts.fieldTtlHashes, e.db, e.key); }
        } else if (e.kind === 'function') facts.functions.push(/name=(\S+)/.exec(e.code.toString('utf8'))?.[1] ?? '?');
      };
      const chunks = streamRdbFile(info, {
        onData: (chunk) => {
          try { for (const e of reader.push(chunk)) take(e); } catch (err) { chunks.close(); reject(err); }
        },
        onEnd: () => {
          try { for (const e of reader.end()) take(e); resolve(); } catch (err) { reject(err); }
        },
        onError: reject,
      });
    });
  } catch (err) {
    facts.error = rdbFileError(path, facts.info?.bytes ?? null, err).message;
  }
  return facts;
}

/** What the file holds that the oldest destination node cannot take (as the live inventory reports a source's). */
export function fileUnsupported(f: RdbFileFacts, destination: NodeFacts[]): UnsupportedFinding[] | undefined {
  const dst = destination.filter((d) => !d.error).map((d) => dialectFor(d.server ?? { flavor: 'redis', version: d.version, redisVersion: d.version }));
  if (!dst.length || f.error) return undefined;
  const d: Dialect = dst.reduce((a, b) => (a.rdbVersion <= b.rdbVersion ? a : b));
  const out: UnsupportedFinding[] = [];
  const add = (ok: boolean, what: string, why: string, count: number, examples: string[]): void => {
    if (!ok && count) out.push({ node: f.path, what, why, count, atLeast: false, examples });
  };
  add(d.streams, 'streams', 'streams need Redis 5.0 or later', f.streamCount, f.streams);
  add(d.fieldTtls, 'hash field TTLs', 'hash field TTLs need Redis 7.4 or later', f.fieldTtlCount, f.fieldTtlHashes);
  add(d.functions, 'function libraries', 'functions need Redis 7.0 or later', f.functions.length, f.functions.slice(0, EXAMPLES));
  return out;
}

export function rdbFileItems(f: RdbFileFacts, destination: NodeFacts[]): PrecheckItem[] {
  if (f.error || !f.info) return [{ id: 'source-rdb-file', result: 'failed', message: f.error ?? `RDB file ${f.path}: unreadable` }];
  const i = f.info;
  const items: PrecheckItem[] = [{ id: 'source-rdb-file', result: 'passed', message: `RDB file ${i.path}: RDB version ${i.rdbVersion}${i.redisVersion ? ` (written by Redis ${i.redisVersion})` : ''}, ${f.keys} keys, ${i.bytes} bytes, read to its end${i.rdbVersion >= 5 ? ' and its checksum' : ''}` }];
  for (const d of destination.filter((x) => !x.error)) {
    const dialect = dialectFor(d.server ?? { flavor: 'redis', version: d.version, redisVersion: d.version });
    if (dialect.rdbVersion < i.rdbVersion) {
      items.push({ id: 'destination-version', result: 'warning', node: d.node, message: `destination ${d.node} (${serverLabel(dialect.server)}) cannot RESTORE the file's RDB ${i.rdbVersion} values (it loads RDB ${dialect.rdbVersion}), so keys are rewritten as commands (slower)` });
    }
  }
  return items;
}

/**
 * The server whose stream follows the file must continue from the file's point: same history (its replication id,
 * or its previous one up to where it changed) and the point still in its backlog. Checked again at the PSYNC itself.
 */
export async function streamAfterFileItem(f: RdbFileFacts, master: NodeAddress): Promise<PrecheckItem> {
  const id = 'source-rdb-file-stream';
  const node = formatHostPort(master);
  const i = f.info;
  if (!i) return { id, result: 'failed', node, message: `the RDB file ${f.path} cannot be read (see source-rdb-file)` };
  if (i.replid === null || i.replOffset === null) {
    return { id, result: 'failed', node, message: `RDB file ${i.path} has no repl-id/repl-offset: Redis saves them only while it has a replication backlog (a master that never had a replica has none; also files before Redis 4.0), so ${node}'s stream cannot continue from it. Save the dump while a replica is attached (or once the task has connected), drop source.mode and source.nodes to load the file alone, or copy the server without rdbFile` };
  }
  let text: string;
  try {
    text = await withClient(master, (c) => c.info('replication'));
  } catch (err) {
    return { id, result: 'failed', node, message: `${node}: ${(err as Error).message}` };
  }
  const field = (name: string): string | null => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1].trim() ?? null;
  const next = i.replOffset + 1;
  const sameHistory = field('master_replid') === i.replid || (field('master_replid2') === i.replid && next <= Number(field('second_repl_offset')));
  if (!sameHistory) {
    return { id, result: 'failed', node, message: `the RDB file's repl-id ${i.replid} is not ${node}'s history (master_replid ${field('master_replid')}): the file is not a dump of this server, or the server restarted since without its backlog. Take a new dump of it (BGSAVE) or drop source.nodes` };
  }
  const first = Number(field('repl_backlog_first_byte_offset'));
  const last = Number(field('master_repl_offset'));
  if (field('repl_backlog_active') !== '1' || next < first || next > last + 1) {
    return { id, result: 'failed', node, message: `${node}'s replication backlog holds offsets ${first} to ${last}, not the RDB file's repl-offset ${i.replOffset} + 1: the stream cannot continue from the file. Take a new dump (BGSAVE) and load it soon after, with a larger repl-backlog-size` };
  }
  return { id, result: 'passed', node, message: `${node} continues from the RDB file's point (repl-id ${i.replid}, offset ${next}; its backlog holds ${first} to ${last}): the backlog must still hold it when the load ends (${last - i.replOffset} bytes written since the dump)` };
}
