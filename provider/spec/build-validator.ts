// Build step (npm run build): writes schema.json's validator as standalone code, so that a starting daemon does not
// load ajv and generate the code again (see schema-compiler.ts).
import { writeFileSync } from 'node:fs';
import { STANDALONE_PATH, standaloneSource } from './schema-compiler';

writeFileSync(STANDALONE_PATH, standaloneSource());
