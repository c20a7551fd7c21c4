// The RDB reader's public surface.
export * from './entry';
export { RdbReader, type RdbReaderOptions, RDB_VERSION_MIN, RDB_VERSION_MAX } from './reader';
export { RdbError } from './errors';
export { readRdbFile, readRdbFileBatches } from './file';
export { CanonicalBuilder, formatDataset, type CanonicalDataset } from './canonical';
export { buildDumpPayload, parseDumpPayload } from './dump-payload';
