// The writer for a destination spec: cluster mode gets the slot-routing writer, anything else one connection.
import type { EndpointSpec } from '../spec/types';
import type { Writer } from './writer';
import { StandaloneWriter, type WriterOptions } from './standalone-writer';
import { ClusterWriter } from './cluster-writer';

export function openWriter(destination: EndpointSpec, opts: WriterOptions = {}): Promise<Writer> {
  return destination.mode === 'cluster' ? ClusterWriter.open(destination, opts) : StandaloneWriter.open(destination, opts);
}
