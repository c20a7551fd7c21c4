// The destination writer's public surface, for the engine.
export type { Writer, WriterEvents } from './writer';
export { openWriter } from './open-writer';
export { StandaloneWriter, type WriterOptions } from './standalone-writer';
export { ClusterWriter } from './cluster-writer';
export { DestinationConnection, DEFAULT_PIPELINE_BYTES, DEFAULT_PIPELINE_COMMANDS, type ConnectionOptions, type ConnectionEvents } from './connection';
export { WriteError, ConnectionLostError, type WriterFailure } from './write-error';
export { keyEntryCommands, bigKeyEntryCommands, restoreCommand, type KeyCommandOptions, DEFAULT_BIG_KEY_BYTES } from './key-commands';
export { UnsupportedValueError } from './value-commands';
export { maxRdbVersionFor, canRestore } from './rdb-version';
export { scriptSha, type ScriptBodyLookup } from './script-cache';
export { printableCommand, printableBytes } from './command-text';
