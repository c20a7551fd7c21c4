// A cluster source that reshards moves each key with MIGRATE: the new owner runs RESTORE-ASKING (in its stream) and
// then the old owner deletes the key (a DEL in its stream). The two streams are applied independently, on connections
// of their own, so the destination must not see the old owner's DEL after the new owner's RESTORE:
//   - a DEL or UNLINK of a key another stream restored just before is the migration's: it is dropped;
//   - a RESTORE-ASKING of a key another stream deleted just before waits until that stream's DEL is applied
//     (observed first is not applied first: each stream's writes go out on its own connection).
import { encodeCommand } from '../resp/encode';
import { isName } from '../resp/command-name';
import type { StreamCommand } from '../filter/command-filter';

/** How long a restored key waits for its old owner's DEL: far longer than two streams drift apart. */
const RESTORED_MS = 120_000;
/** How long a deleted key is remembered: a migration's RESTORE follows its DEL within milliseconds. */
const DELETED_MS = 10_000;
/** Longest a RESTORE waits for the other stream's DEL to be applied (that stream may have stopped). */
const WAIT_MS = 10_000;
const MAX_KEYS = 1_000_000;

// Matched without making a string: every command of a cluster source's streams passes here.
const RESTORE_ASKING = Buffer.from('restore-asking');
const DEL = Buffer.from('del');
const UNLINK = Buffer.from('unlink');

interface Mark { stream: string; at: number; offset: number }

/** Insertion-ordered marks, the oldest dropped first past their age or the bound. */
class Marks {
  private readonly map = new Map<string, Mark>();
  constructor(private readonly ageMs: number) {}

  get size(): number { return this.map.size; }

  set(key: string, mark: Mark): void {
    this.map.delete(key);
    this.map.set(key, mark);
    for (const [k, v] of this.map) {
      if (this.map.size <= MAX_KEYS && v.at >= mark.at - this.ageMs) break;
      this.map.delete(k);
    }
  }

  /** The mark of key left by another stream than `stream`, still fresh; removed. */
  takeOther(key: string, stream: string): Mark | null {
    const m = this.map.get(key);
    if (!m || m.stream === stream) return null;
    this.map.delete(key);
    return Date.now() - m.at <= this.ageMs ? m : null;
  }
}

export class MigratedKeys {
  private readonly restored = new Marks(RESTORED_MS);
  private readonly deleted = new Marks(DELETED_MS);
  private readonly applied = new Map<string, number>();
  private readonly waiters: Array<{ stream: string; offset: number; done: () => void }> = [];

  /** A stream's applied offset moved: RESTOREs waiting for its DELs may go. */
  appliedOffset(stream: string, offset: number): void {
    this.applied.set(stream, offset);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w.stream === stream && w.offset <= offset) {
        this.waiters.splice(i, 1);
        w.done();
      }
    }
  }

  /** A RESTORE-ASKING of a key another stream deleted just before: resolved once that DEL is applied. */
  waitBefore(stream: string, cmd: StreamCommand): Promise<void> | null {
    if (this.deleted.size === 0 || !cmd.argv[1] || !isName(cmd.argv[0], RESTORE_ASKING)) return null;
    const del = this.deleted.takeOther(cmd.argv[1].toString('latin1'), stream);
    if (!del || (this.applied.get(del.stream) ?? -1) >= del.offset) return null;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, WAIT_MS);
      this.waiters.push({ stream: del.stream, offset: del.offset, done: () => { clearTimeout(timer); resolve(); } });
    });
  }

  /**
   * Notes a RESTORE-ASKING or a DEL/UNLINK; returns the command without the keys another stream just restored
   * (null: none left), else the command as it is.
   */
  observe(stream: string, cmd: StreamCommand): StreamCommand | null {
    if (cmd.argv[1] && isName(cmd.argv[0], RESTORE_ASKING)) {
      this.restored.set(cmd.argv[1].toString('latin1'), { stream, at: Date.now(), offset: cmd.offset });
      return cmd;
    }
    if (!isName(cmd.argv[0], DEL) && !isName(cmd.argv[0], UNLINK)) return cmd;
    const now = Date.now();
    const kept = cmd.argv.slice(1).filter((k) => {
      const key = k.toString('latin1');
      if (this.restored.size && this.restored.takeOther(key, stream)) return false;
      this.deleted.set(key, { stream, at: now, offset: cmd.offset });
      return true;
    });
    if (kept.length === cmd.argv.length - 1) return cmd;
    if (!kept.length) return null;
    const argv = [cmd.argv[0], ...kept];
    return { ...cmd, argv, raw: encodeCommand(argv) };
  }
}
