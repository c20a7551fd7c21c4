// Module values (RDB_TYPE_MODULE_2) and MODULE_AUX records: a 64-bit module id, then typed opcodes up to
// RDB_MODULE_OPCODE_EOF, which is what lets a reader without the module step over them.
import { Cursor } from './cursor';
import { CorruptData } from './errors';

const RDB_MODULE_OPCODE_EOF = 0;
const RDB_MODULE_OPCODE_SINT = 1;
const RDB_MODULE_OPCODE_UINT = 2;
const RDB_MODULE_OPCODE_FLOAT = 3;
const RDB_MODULE_OPCODE_DOUBLE = 4;
const RDB_MODULE_OPCODE_STRING = 5;

const NAME_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The 9-character type name packed into the top 54 bits of a module id. */
export function moduleTypeName(id: bigint): string {
  let name = '';
  for (let i = 0; i < 9; i++) name += NAME_CHARSET[Number((id >> BigInt(64 - 6 * (i + 1))) & 63n)];
  return name;
}

export function moduleEncVer(id: bigint): number {
  return Number(id & 1023n);
}

/** Steps over the opcode stream of a module value or MODULE_AUX payload. */
export function skipModuleOpcodes(c: Cursor, what: string): void {
  for (;;) {
    const at = c.pos;
    const op = c.len(`${what}: a module opcode`);
    switch (op) {
      case RDB_MODULE_OPCODE_EOF: return;
      case RDB_MODULE_OPCODE_SINT:
      case RDB_MODULE_OPCODE_UINT: c.lenBig(`${what}: a module integer`); break;
      case RDB_MODULE_OPCODE_FLOAT: c.take(4, `${what}: a module float`); break;
      case RDB_MODULE_OPCODE_DOUBLE: c.take(8, `${what}: a module double`); break;
      case RDB_MODULE_OPCODE_STRING: c.skipStr(`${what}: a module string`); break;
      default: throw new CorruptData(`${what}: a module opcode 0..5 (got ${op})`, at);
    }
  }
}

/** Reads a RDB_TYPE_MODULE_2 value, returning the module type name. */
export function skipModuleValue(c: Cursor): string {
  const id = c.lenBig('a module id');
  const name = moduleTypeName(id);
  skipModuleOpcodes(c, `module value of type ${name}`);
  return name;
}

/** Reads a MODULE_AUX payload (after the opcode), returning the module type name. */
export function skipModuleAux(c: Cursor): string {
  const id = c.lenBig('a module id');
  const name = moduleTypeName(id);
  const at = c.pos;
  const whenOpcode = c.len('a MODULE_AUX when-opcode');
  if (whenOpcode !== RDB_MODULE_OPCODE_UINT) throw new CorruptData(`MODULE_AUX of ${name}: a when-opcode of 2 (got ${whenOpcode})`, at);
  c.len('a MODULE_AUX when value');
  skipModuleOpcodes(c, `MODULE_AUX of ${name}`);
  return name;
}
