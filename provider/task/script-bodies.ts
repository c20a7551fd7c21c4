// Script bodies seen in the stream (EVAL, SCRIPT LOAD), by SHA1: when the destination lacks a script an EVALSHA
// needs (a restart, SCRIPT FLUSH), the writer loads it first from here. Sources before Redis 5 replicate scripts
// verbatim; newer ones replicate their effects, and then this stays empty.
import { scriptSha } from '../writer/script-cache';

const MAX_SCRIPTS = 10_000;
const MAX_BYTES = 64 * 1024 * 1024;

export class ScriptBodies {
  private readonly bodies = new Map<string, Buffer>();
  private bytes = 0;

  /** Records the body of an EVAL / EVAL_RO / SCRIPT LOAD command (argv as received). */
  observe(argv: Buffer[]): void {
    // Called for every command: anything not EVAL (4), EVAL_RO (7) or SCRIPT (6) is turned away on its length.
    const first = argv[0];
    if (first.length !== 4 && first.length !== 6 && first.length !== 7) return;
    const name = first.toString('latin1').toLowerCase();
    const body = name === 'eval' || name === 'eval_ro' ? argv[1] : name === 'script' && argv[1]?.toString('latin1').toLowerCase() === 'load' ? argv[2] : undefined;
    if (!body) return;
    const sha = scriptSha(body);
    if (this.bodies.has(sha)) return;
    if (this.bodies.size >= MAX_SCRIPTS || this.bytes + body.length > MAX_BYTES) {
      const oldest = this.bodies.keys().next().value as string;
      this.bytes -= this.bodies.get(oldest)!.length;
      this.bodies.delete(oldest);
    }
    // A copy: argv points into a socket chunk that must not be kept alive.
    this.bodies.set(sha, Buffer.from(body));
    this.bytes += body.length;
  }

  lookup = (sha: string): Buffer | undefined => this.bodies.get(sha);
}
