// The entries the RDB reader emits: the small set of types that flows from the reader to the filter and the writer.
// Names follow rdb.h so a reader who knows Redis knows what each field holds.

/** rdb.h RDB_TYPE_* value type ids. */
export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE_PRE_GA: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
  HASH_METADATA_PRE_GA: 22,
  HASH_LISTPACK_EX_PRE_GA: 23,
  HASH_METADATA: 24,
  HASH_LISTPACK_EX: 25,
} as const;

/** rdb.h RDB_OPCODE_* record opcodes. */
export const RDB_OPCODE = {
  SLOT_INFO: 244,
  FUNCTION2: 245,
  FUNCTION_PRE_GA: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

/** The logical Redis type of a key, as TYPE reports it. */
export type ValueKind = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module';

export type Score = number; // doubles; Infinity and -Infinity allowed, NaN never

export interface StreamId {
  ms: bigint;
  seq: bigint;
}

export interface StreamPendingEntry {
  id: StreamId;
  consumer: Buffer;
  deliveryTimeMs: number;
  deliveryCount: number;
}

export interface StreamConsumer {
  name: Buffer;
  seenTimeMs: number;
  activeTimeMs: number | null; // only stored by RDB_TYPE_STREAM_LISTPACKS_3
  pending: StreamId[]; // ids into the group's PEL
}

export interface StreamGroup {
  name: Buffer;
  lastDeliveredId: StreamId;
  entriesRead: number | null; // null where the record type does not store it (v1)
  pending: StreamPendingEntry[];
  consumers: StreamConsumer[];
}

export interface StreamValue {
  entries: Array<[StreamId, Array<[Buffer, Buffer]>]>; // live entries only, in id order
  length: number;
  lastId: StreamId;
  firstId: StreamId | null; // null where the record type does not store it (v1)
  maxDeletedEntryId: StreamId | null;
  entriesAdded: number | null;
  groups: StreamGroup[];
}

/** A decoded value: the elements, for rewriting a key as ordinary commands when RESTORE cannot be used. */
export type DecodedValue =
  | { kind: 'string'; value: Buffer }
  | { kind: 'list'; elements: Buffer[] }
  | { kind: 'set'; members: Buffer[] }
  | { kind: 'zset'; members: Array<[Buffer, Score]> }
  | { kind: 'hash'; fields: Array<[Buffer, Buffer]>; fieldExpireAtMs: Array<[Buffer, number]> }
  | { kind: 'stream'; stream: StreamValue }
  | { kind: 'module'; moduleType: string };

export interface KeyEntry {
  kind: 'key';
  db: number;
  key: Buffer;
  /** The RDB_TYPE_* byte as it stood in the file. */
  rdbType: number;
  valueKind: ValueKind;
  expireAtMs: number | null;
  idleSeconds: number | null;
  freq: number | null;
  /** The value's bytes exactly as in the RDB, without the type byte: with rdbType and the RDB version they make a DUMP payload. */
  raw: Buffer;
  /** Decodes raw into elements; cheap to skip when the writer uses RESTORE. */
  decode(): DecodedValue;
  /** Byte offset of the key record (its first opcode or type byte) in the RDB stream. */
  offset: number;
}

/** Entries of a big stream, in id order, before its last part (which is a whole 'stream' value: the rest of its
 * entries, then the metadata and consumer groups that follow the entries in the RDB). */
export interface StreamEntriesPart {
  kind: 'stream-entries';
  entries: StreamValue['entries'];
}

/** One piece of a big value: the elements of a collection, bytes of a string, entries of a stream. */
export type BigKeyPart = DecodedValue | StreamEntriesPart;

/**
 * A value above the big-key threshold is emitted as pieces so the reader never holds it whole:
 * one 'begin', then 'part's in order, then 'end'.
 */
export type BigKeyEntry =
  | { kind: 'bigkey-begin'; db: number; key: Buffer; rdbType: number; valueKind: ValueKind; expireAtMs: number | null; offset: number }
  | { kind: 'bigkey-part'; db: number; key: Buffer; part: BigKeyPart }
  | { kind: 'bigkey-end'; db: number; key: Buffer; expireAtMs: number | null };

export interface AuxEntry { kind: 'aux'; name: Buffer; value: Buffer; offset: number }
export interface SelectDbEntry { kind: 'selectdb'; db: number; offset: number }
export interface ResizeDbEntry { kind: 'resizedb'; db: number; dbSize: number; expiresSize: number; offset: number }
export interface FunctionEntry { kind: 'function'; code: Buffer; offset: number }
export interface ModuleAuxEntry { kind: 'module-aux'; moduleType: string; offset: number }
export interface SlotInfoEntry { kind: 'slot-info'; slot: number; slotSize: number; expiresSlotSize: number; offset: number }
export interface WarningEntry { kind: 'warning'; message: string; key: Buffer | null; offset: number }
export interface EofEntry { kind: 'eof'; checksum: Buffer | null; offset: number }

export type RdbEntry =
  | KeyEntry
  | BigKeyEntry
  | AuxEntry
  | SelectDbEntry
  | ResizeDbEntry
  | FunctionEntry
  | ModuleAuxEntry
  | SlotInfoEntry
  | WarningEntry
  | EofEntry;
