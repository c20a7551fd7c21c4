// {replid, offset} per source node, saved only after the destination confirmed every command up to that offset.
import { readJson } from './files';
import { BackgroundFile } from './background-file';

export interface NodeCheckpoint {
  replid: string;
  offset: number;
  /** The source db selected in the stream at `offset` (absent: none yet, or a checkpoint written before this field). */
  db?: number;
  savedAt: string;
}

export interface Checkpoint {
  version: 1;
  /** Keyed by stream id: "standalone", or a source cluster master's node id. */
  nodes: Record<string, NodeCheckpoint>;
}

/** Saved in the background (see BackgroundFile) and written whole; close() writes the last state at stop. */
export class CheckpointStore {
  private current: Checkpoint;
  private readonly file: BackgroundFile;

  constructor(path: string) {
    this.current = readJson<Checkpoint>(path) ?? { version: 1, nodes: {} };
    this.file = new BackgroundFile(path, true);
  }

  get(node: string): NodeCheckpoint | null {
    return this.current.nodes[node] ?? null;
  }

  /** The stream ids with a checkpoint. */
  ids(): string[] {
    return Object.keys(this.current.nodes);
  }

  save(node: string, replid: string, offset: number, db?: number): void {
    this.current.nodes[node] = { replid, offset, ...(db !== undefined && db >= 0 ? { db } : {}), savedAt: new Date().toISOString() };
    this.file.write(JSON.stringify(this.current, null, 1));
  }

  clear(node: string): void {
    delete this.current.nodes[node];
    this.file.write(JSON.stringify(this.current, null, 1));
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
