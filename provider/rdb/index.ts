// The RDB reader's public surface.
//
// RdbReader.push(chunk) takes the snapshot as it arrives and returns the entries those bytes completed: header
// records (aux, selectdb, resizedb, slot-info, module-aux, function), one KeyEntry per key with the value's raw
// bytes (enough for RESTORE via buildDumpPayload) and a lazy decode(), and an eof entry once the CRC-64 trailer
// checked out. A collection value that outgrows bigKeyBytes comes as bigkey-begin / bigkey-part... / bigkey-end
// instead (strings too; streams, module values and single encoded blobs are never split). Module values of type 7
// come as a warning plus a KeyEntry with the raw bytes. Anything else the reader cannot vouch for throws an
// RdbError naming the byte offset, the key when known, and what was expected.
export * from './entry';
export { RdbReader, type RdbReaderOptions, RDB_VERSION_MIN, RDB_VERSION_MAX } from './reader';
export { RdbError } from './errors';
export { readRdbFile, readRdbFileBatches } from './file';
export { CanonicalBuilder, formatDataset, type CanonicalDataset } from './canonical';
export { buildDumpPayload, parseDumpPayload } from './dump-payload';
