// Routing a stream command into a cluster destination. A command whose keys share a slot goes as it is. From a
// standalone source a multi-key command may span slots: it is split where that keeps its meaning (DEL, UNLINK,
// TOUCH, MSET, SMOVE), RENAME/RENAMENX are redone from the destination's own copy of the key (DUMP + RESTORE + DEL),
// the store commands, list moves, MSETNX and COPY run on copies of their keys gathered into one slot (colocate.ts),
// and anything else (a script across slots) fails the task with CROSSSLOT naming the command, its keys and the
// offset: never dropped.
import calculateSlot, { generateMulti } from 'cluster-key-slot';
import { encodeCommand } from '../resp/encode';
import { commandKeys, commandName } from '../filter/command-keys';
import { decodeCommand } from '../writer/command-text';
import { colocatable } from './colocate';

export interface RoutedWrite {
  /** The key the cluster writer routes by; null sends a keyless command to every master. */
  key: Buffer | null;
  command: Buffer;
}

export type ClusterRoute =
  | { kind: 'writes'; writes: RoutedWrite[] }
  | { kind: 'rename'; from: Buffer; to: Buffer }
  | { kind: 'colocate'; argv: Buffer[] }
  | { kind: 'crossslot'; message: string };

function printable(b: Buffer): string {
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? JSON.stringify(s) : `b64:${b.toString('base64')}`;
}

export function routeForCluster(argv: Buffer[], raw: Buffer, offset: number): ClusterRoute {
  const keys = commandKeys(argv);
  if (keys.length === 0) return { kind: 'writes', writes: [{ key: null, command: raw }] };
  // One key (most commands): nothing to compare, and its slot is computed where the write is batched.
  if (keys.length === 1 || generateMulti(keys) !== -1) return { kind: 'writes', writes: [{ key: keys[0], command: raw }] };
  const name = commandName(argv);
  switch (name) {
    case 'del':
    case 'unlink':
    case 'touch':
      return { kind: 'writes', writes: keys.map((k) => ({ key: k, command: encodeCommand([argv[0], k]) })) };
    case 'mset':
      return { kind: 'writes', writes: msetBySlot(argv) };
    case 'smove':
      // Propagated only when the member moved, so the two halves are exact.
      return { kind: 'writes', writes: [
        { key: argv[1], command: encodeCommand(['SREM', argv[1], argv[3]]) },
        { key: argv[2], command: encodeCommand(['SADD', argv[2], argv[3]]) },
      ] };
    case 'rename':
    case 'renamenx':
      return { kind: 'rename', from: argv[1], to: argv[2] };
    default:
      if (colocatable(argv)) return { kind: 'colocate', argv };
      return {
        kind: 'crossslot',
        message: `CROSSSLOT: ${name.toUpperCase()} at offset ${offset} writes keys in different slots (${keys.map(printable).join(', ')}), ` +
          'which a cluster destination cannot apply exactly. Use a hash tag ({...}) so the keys share a slot, or sync into a standalone destination',
      };
  }
}

/** Commands the filter rewrote, each routed by its own keys; one that cannot be applied fails them all. */
export function routeRewritten(commands: Buffer[], offset: number): ClusterRoute {
  const writes: RoutedWrite[] = [];
  for (const command of commands) {
    const r = routeForCluster(decodeCommand(command), command, offset);
    // A rewrite never yields a RENAME or a store command: only the command itself can.
    if (r.kind !== 'writes') return r;
    writes.push(...r.writes);
  }
  return { kind: 'writes', writes };
}

function msetBySlot(argv: Buffer[]): RoutedWrite[] {
  const bySlot = new Map<number, Buffer[]>();
  for (let i = 1; i + 1 < argv.length; i += 2) {
    const s = calculateSlot(argv[i]);
    const args = bySlot.get(s) ?? [];
    args.push(argv[i], argv[i + 1]);
    bySlot.set(s, args);
  }
  return [...bySlot.values()].map((args) => ({ key: args[0], command: encodeCommand([Buffer.from('MSET'), ...args]) }));
}
