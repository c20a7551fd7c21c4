// The writer for a standalone destination: one pipelined connection, every command in one order.
import type { EndpointSpec, TuningSpec } from '../spec/types';
import { DestinationConnection } from './connection';
import type { ScriptBodyLookup } from './script-cache';
import type { Writer } from './writer';
import { Notifier } from './notifier';
import type { WriterEvents } from './writer';
import { parseNodeAddress } from './node-address';

export interface WriterOptions {
  tuning?: TuningSpec;
  scriptBody?: ScriptBodyLookup;
  /** CLIENT SETNAME of every destination connection: how a new owner finds a former owner's (state/fence-clients.ts). */
  clientName?: string;
}

export class StandaloneWriter extends Notifier<WriterEvents> implements Writer {
  private constructor(readonly connection: DestinationConnection) {
    super();
    connection.on('applied', (o) => this.emit('applied', o));
    connection.on('drain', () => this.emit('drain'));
    connection.on('failed', (f) => this.emit('failed', f));
  }

  static async open(destination: EndpointSpec, opts: WriterOptions = {}): Promise<StandaloneWriter> {
    if (destination.nodes.length === 0) throw new Error('destination has no nodes');
    const address = parseNodeAddress(destination.nodes[0], destination);
    const connection = await DestinationConnection.connect({ address, tuning: opts.tuning, scriptBody: opts.scriptBody, clientName: opts.clientName });
    return new StandaloneWriter(connection);
  }

  write(db: number, _key: Buffer | null, command: Buffer, offset?: number): boolean {
    return this.connection.send(db, command, offset);
  }

  flush(): Promise<void> {
    return this.connection.flush();
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
