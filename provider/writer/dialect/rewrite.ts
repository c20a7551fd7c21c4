// What the dialect makes of one command of the stream.
import type { Arg } from '../../resp/encode';

export type Rewrite =
  | { kind: 'commands'; commands: Arg[][] }
  /** No equivalent on the destination: `what` names the command or type and why; keyless: argv[1] is no key (FUNCTION). */
  | { kind: 'unsupported'; what: string; keyless?: boolean };
