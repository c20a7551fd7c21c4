// verify for a task whose source is an RDB file only: the destination against the file. Every key the task would
// load (its databases, keyFilter, keyRenames, databaseMapping; not expired now) is compared by type, absolute expiry
// and value with the destination's key under its destination name; then every destination key in the target
// databases that the file does not hold is reported extra. The file is read once, in batches, never whole.
import type { TaskSpec } from '../spec/types';
import { resolveTask } from '../spec/resolve';
import { RdbReader } from '../rdb/reader';
import type { KeyEntry, RdbEntry } from '../rdb/entry';
import { KeyFilter } from '../filter/key-filter';
import { readRdbFileInfo, streamRdbFile, rdbFileError } from '../source/rdb-file';
import { EndpointReader } from './endpoint-reader';
import { readStates } from './key-state';
import { keyDiffs, summarize } from './key-diff';
import { Tally, type VerifyReport } from './report';
import { asArray, asBuffer } from './redis-calls';
import { createsKey, fileKeyState } from './file-state';
import { DEFAULT_TTL_TOLERANCE_MS, type VerifyOptions } from './verify';
import type { ValueForm } from './value-form';
import { compareVersions } from '../writer/dialect/server-info';
import { isInternalKey } from '../state/task-keys';

const BATCH_KEYS = 500;

type FileKey = Pick<KeyEntry, 'db' | 'key' | 'expireAtMs' | 'valueKind'> & { value: ReturnType<KeyEntry['decode']> };

export async function verifyFile(spec: TaskSpec, opts: Pick<VerifyOptions, 'ttlToleranceMs' | 'maxMismatches' | 'onProgress'> = {}): Promise<VerifyReport> {
  const started = Date.now();
  const task = resolveTask(spec);
  const file = await readRdbFileInfo(task.rdbFile ?? '');
  const tally = new Tally(opts.maxMismatches ?? 100);
  const tolerance = opts.ttlToleranceMs ?? DEFAULT_TTL_TOLERANCE_MS;
  const keys = new KeyFilter(spec.keyFilter, spec.keyRenames);
  // redis-sync's own keys (checkpoint, lease, status) are not data; a file-only task has no heartbeat.
  const ignore = isInternalKey;
  const wantsDb = (db: number): boolean => task.databases === null || task.databases.includes(db);
  const dst = await EndpointReader.open(spec.destination, 'destination');
  try {
    const [server, fieldTtls] = await Promise.all([dst.server(), dst.hasCommand('HPEXPIRETIME')]);
    const form: ValueForm = { fieldTtls, streamFull: compareVersions(server.redisVersion, '6.0.0') >= 0, streamMetadata: false };
    /** Destination names per destination db of every key the file loads (expired ones too: they may linger). */
    const expected = new Map<number, Set<string>>();
    let batch: FileKey[] = [];
    const compare = async (): Promise<void> => {
      const byDb = new Map<number, FileKey[]>();
      for (const k of batch) (byDb.get(k.db) ?? byDb.set(k.db, []).get(k.db)!).push(k);
      batch = [];
      for (const [db, ks] of byDb) await compareBatch(dst, task.mapDb(db), db, ks, keys, form, tolerance, tally);
      opts.onProgress?.({ phase: 'compare', keysCompared: tally.report.keysCompared, keysExpected: null });
    };
    await eachKey(file, task.tuning.bigKeyBytes, async (k) => {
      if (!wantsDb(k.db) || ignore(k.key) || !keys.wants(k.db, k.key)) return;
      const name = keys.rename(k.db, k.key).toString('latin1');
      const dstDb = task.mapDb(k.db);
      (expected.get(dstDb) ?? expected.set(dstDb, new Set()).get(dstDb)!).add(name);
      // Expired now (or within the tolerance), or not a key once loaded: whether it is still there is not a difference.
      if (k.expireAtMs !== null && k.expireAtMs <= Date.now() + tolerance) return;
      if (!createsKey(k.value) || k.valueKind === 'module') return;
      batch.push(k);
      if (batch.length >= BATCH_KEYS) await compare();
    });
    await compare();
    const dbs = task.databases === null ? await dst.databasesWithKeys() : [...new Set(task.databases.map(task.mapDb))];
    for (const db of dbs) await findExtra(dst, db, expected.get(db) ?? new Set(), ignore, tally);
  } finally {
    await dst.close();
  }
  tally.report.online = false;
  tally.report.sampled = null;
  tally.report.durationMs = Date.now() - started;
  return tally.report;
}

/** Every key record of the file, decoded, in file order; the file is read with flow control (one batch at a time). */
async function eachKey(file: Awaited<ReturnType<typeof readRdbFileInfo>>, bigKeyBytes: number, onKey: (k: FileKey) => Promise<void>): Promise<void> {
  // Values are compared whole (the destination's are read whole too), so none is split into parts here.
  const reader = new RdbReader({ bigKeyBytes: Math.max(bigKeyBytes, 2 ** 40) });
  const queue: FileKey[] = [];
  const take = (e: RdbEntry): void => {
    if (e.kind === 'key') queue.push({ db: e.db, key: Buffer.from(e.key), expireAtMs: e.expireAtMs, valueKind: e.valueKind, value: e.decode() });
  };
  await new Promise<void>((resolve, reject) => {
    let busy = Promise.resolve();
    const chunks = streamRdbFile(file, {
      onData: (chunk) => {
        try {
          for (const e of reader.push(chunk)) take(e);
        } catch (err) {
          chunks.close();
          reject(rdbFileError(file.path, file.bytes, err));
          return;
        }
        chunks.pause();
        busy = busy.then(async () => { while (queue.length) await onKey(queue.shift()!); }).then(() => chunks.resume(), (err: unknown) => { chunks.close(); reject(err); });
      },
      onEnd: () => {
        try {
          for (const e of reader.end()) take(e);
        } catch (err) {
          reject(rdbFileError(file.path, file.bytes, err));
          return;
        }
        busy.then(async () => { while (queue.length) await onKey(queue.shift()!); }).then(resolve, reject);
      },
      onError: reject,
    });
  });
}

async function compareBatch(dst: EndpointReader, dstDb: number, srcDb: number, ks: FileKey[], keys: KeyFilter, form: ValueForm, tolerance: number, tally: Tally): Promise<void> {
  const names = ks.map((k) => keys.rename(srcDb, k.key));
  const states = await readStates(dst, dstDb, names, form);
  const now = Date.now();
  ks.forEach((k, i) => {
    tally.report.keysCompared++;
    const mine = fileKeyState(k.value, k.expireAtMs, form, now);
    for (const d of keyDiffs(mine, states[i], tolerance)) {
      tally.add(srcDb, k.key, d.problem, d.detail.replace(/on source/g, 'in the file'), { source: summarize(mine), destination: summarize(states[i]) });
    }
  });
}

/** Destination keys of one db the file does not load (nor the task: its own keys are left out). */
async function findExtra(dst: EndpointReader, db: number, expected: Set<string>, ignore: (k: Buffer) => boolean, tally: Tally): Promise<void> {
  for (const node of dst.masters) {
    const client = await dst.client(node, db);
    let cursor = '0';
    do {
      const [next, page] = asArray(await client.call('SCAN', cursor, 'COUNT', 1000));
      cursor = asBuffer(next).toString('latin1');
      for (const key of asArray(page).map(asBuffer)) {
        if (!ignore(key) && !expected.has(key.toString('latin1'))) tally.add(db, key, 'extra on destination', 'not in the RDB file (or outside the task\'s keyFilter)');
      }
    } while (cursor !== '0');
  }
}
