// The writes of one stream command in the destination's dialect: untouched when the destination takes them as they
// are (the usual case, the source's bytes), else the translated commands, each with its argv for cluster routing.
import type { DbCommand, StreamCommand } from '../filter/command-filter';
import { encodeCommand } from '../resp/encode';
import type { Dialect } from '../writer/dialect/dialect';
import { translateCommand, type SourceTime } from '../writer/dialect/translate';
import type { Rewrite } from '../writer/dialect/rewrite';
import { decodeCommand } from '../writer/command-text';

export interface DialectWrite extends DbCommand {
  /** Set when the command was translated: what it is now, to route by its key. */
  argv?: Buffer[];
}

export type DialectResult = { kind: 'writes'; writes: DialectWrite[]; translated: boolean } | Extract<Rewrite, { kind: 'unsupported' }>;

export function dialectWrites(cmd: StreamCommand, writes: DbCommand[], d: Dialect, sourceNow: SourceTime): DialectResult {
  let out: DialectWrite[] | null = null;
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i];
    // The usual write is the source's command itself; one the filter rewrote (RESTORE given REPLACE, MOVE as DEL...)
    // is decoded again, which is rare.
    const r = translateCommand(w.command === cmd.raw ? cmd.argv : w.argv ?? decodeCommand(w.command), d, sourceNow);
    if (r === null) {
      out?.push(w);
      continue;
    }
    if (r.kind === 'unsupported') return r;
    out ??= writes.slice(0, i);
    for (const c of r.commands) {
      const argv = c.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a))));
      out.push({ db: w.db, command: encodeCommand(argv), argv });
    }
  }
  return out ? { kind: 'writes', writes: out, translated: true } : { kind: 'writes', writes, translated: false };
}
