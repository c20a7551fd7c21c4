// A file rewritten often (the status four times a second, the checkpoint five) is written off the event loop: the
// loop carries the replication stream, and a slow disk's fsync or rename would stall it. Writes coalesce (the newest
// content wins), each lands whole (write a temporary file, then rename), and close() writes the last one synchronously.
import { open, rename } from 'node:fs/promises';
import { writeFileAtomic } from './files';

export class BackgroundFile {
  private pending: string | null = null;
  private last: string | null = null;
  private writing: Promise<void> | null = null;

  constructor(private readonly path: string, private readonly durable: boolean) {}

  write(data: string): void {
    this.pending = data;
    this.writing ??= this.drain().finally(() => { this.writing = null; });
  }

  /** Waits for the background write, then writes the newest content now. */
  async close(): Promise<void> {
    await this.writing;
    const data = this.pending ?? this.last;
    this.pending = null;
    if (data !== null) writeFileAtomic(this.path, data, 0o600, this.durable);
  }

  private async drain(): Promise<void> {
    const tmp = `${this.path}.${process.pid}.bg.tmp`;
    for (let i = 0; i < 1_000_000 && this.pending !== null; i++) {
      const data = this.pending;
      this.pending = null;
      try {
        const fh = await open(tmp, 'w', 0o600);
        try {
          await fh.writeFile(data);
          if (this.durable) await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, this.path);
        this.last = data;
      } catch {
        // The state dir is gone (destroy) or the disk is full: close() or the next write tries again.
        this.pending ??= data;
        return;
      }
    }
  }
}
