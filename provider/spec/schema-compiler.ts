// schema.json compiled by ajv, either now (about 55 ms of the daemon's start: loading ajv and generating the code)
// or once at build time into standalone code (provider/spec/build-validator.ts) that the daemon loads in a few ms.
// The standalone file records the hash of the schema it came from, so an edited schema.json is never checked
// against a stale validator: it is compiled afresh instead.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';

const SCHEMA_PATH = join(__dirname, '..', '..', '..', 'schema.json');
/** Where the build writes the standalone validator (next to this module in dist/). */
export const STANDALONE_PATH = join(__dirname, 'schema-validator.js');

const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: false } as const;

export function schemaText(): string {
  return readFileSync(SCHEMA_PATH, 'utf8');
}

export function schemaHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** ajv with the project's options, loaded only when a validator is compiled (not on the daemon's start). */
function newAjv(source: boolean): import('ajv').default {
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  return new Ajv({ ...AJV_OPTIONS, code: { source } });
}

/** Compiles schema.json with ajv now. */
export function compileSchema(text = schemaText()): ValidateFunction {
  return newAjv(false).compile(JSON.parse(text) as object);
}

/** The standalone module's source for schema.json, its hash recorded as `schemaHash`. */
export function standaloneSource(text = schemaText()): string {
  const { default: standaloneCode } = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone');
  const ajv = newAjv(true);
  return `${standaloneCode(ajv, ajv.compile(JSON.parse(text) as object))}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(text))};\n`;
}

/** The build's standalone validator when it was made from this schema.json; null otherwise. */
export function loadStandalone(text = schemaText()): ValidateFunction | null {
  if (!existsSync(STANDALONE_PATH)) return null;
  const mod = require(STANDALONE_PATH) as ValidateFunction & { schemaHash?: string };
  return mod.schemaHash === schemaHash(text) ? mod : null;
}

export function schemaValidator(): ValidateFunction {
  const text = schemaText();
  return loadStandalone(text) ?? compileSchema(text);
}
