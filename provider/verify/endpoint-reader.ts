// Read access to one endpoint for verification: the masters to SCAN and, for each key, the client of the node
// that owns it. A cluster is routed by our own CLUSTER SLOTS table, so each pipeline goes to one node.
import calculateSlot from 'cluster-key-slot';
import type { EndpointSpec } from '../spec/types';
import { parseNodeAddress } from '../writer/node-address';
import { asArray, asBuffer } from './redis-calls';
import { clusterSlots } from './cluster-slots';
import { RespClient } from './resp-client';
import { parseServerInfo, type ServerInfo } from '../writer/dialect/server-info';

export class EndpointReader {
  private readonly clients = new Map<string, Promise<RespClient>>();
  private slotOwner: Int32Array | null = null;
  private masterAddrs: string[] = [];

  private constructor(readonly spec: EndpointSpec, private readonly side: string) {}

  /** side ("source", "destination") names the endpoint in error messages. */
  static async open(spec: EndpointSpec, side = 'endpoint'): Promise<EndpointReader> {
    if (spec.nodes.length === 0) throw new Error(`${side}.nodes is empty: list at least one "host:port"`);
    const reader = new EndpointReader(spec, side);
    if (spec.mode === 'cluster') await reader.loadSlots();
    else reader.masterAddrs = [spec.nodes[0]];
    return reader;
  }

  get isCluster(): boolean {
    return this.slotOwner !== null;
  }

  /** "host:port" of every master: SCAN must visit each. */
  get masters(): readonly string[] {
    return this.masterAddrs;
  }

  /** A client connected to addr and switched to db (a cluster has db 0 only). */
  client(addr: string, db: number): Promise<RespClient> {
    const id = `${addr}/${db}`;
    let c = this.clients.get(id);
    if (!c) {
      c = RespClient.connect(parseNodeAddress(addr, this.spec), db, this.side).catch((err: Error) => {
        const unreachable = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|timed out/.test(err.message);
        throw new Error(`${this.side}${err.message.includes(addr) ? '' : ` ${addr}`}: ${err.message}${unreachable ? `: check ${this.side}.nodes, that Redis runs there and the firewall` : ''}`);
      });
      this.clients.set(id, c);
    }
    return c;
  }

  /** A connection of its own (the caller closes it): for WATCH, which is per connection. */
  dedicated(addr: string, db: number): Promise<RespClient> {
    return RespClient.connect(parseNodeAddress(addr, this.spec), db);
  }

  /** The master that owns key. */
  nodeFor(key: Buffer): string {
    if (!this.slotOwner) return this.masterAddrs[0];
    const i = this.slotOwner[calculateSlot(key)];
    if (i < 0) throw new Error(`slot ${calculateSlot(key)} has no master in the ${this.side} cluster (${this.spec.nodes.join(',')}): assign every slot (redis-cli --cluster check, then --cluster fix) and verify again`);
    return this.masterAddrs[i];
  }

  /** Databases holding keys, from INFO keyspace on every master. */
  async databasesWithKeys(): Promise<number[]> {
    const dbs = new Set<number>();
    for (const addr of this.masterAddrs) {
      const text = asBuffer(await (await this.client(addr, 0)).call('INFO', 'keyspace')).toString('latin1');
      for (const m of text.matchAll(/^db(\d+):keys=(\d+)/gm)) if (Number(m[2]) > 0) dbs.add(Number(m[1]));
    }
    return [...dbs].sort((a, b) => a - b);
  }

  /** Which server the (first) master runs: Redis or Valkey, and its release. */
  async server(): Promise<ServerInfo> {
    return parseServerInfo(asBuffer(await (await this.client(this.masterAddrs[0], 0)).call('INFO', 'server')).toString('latin1'));
  }

  /** Whether the servers know a command (e.g. HPEXPIRETIME, added in 7.4). */
  async hasCommand(name: string): Promise<boolean> {
    const info = asArray(await (await this.client(this.masterAddrs[0], 0)).call('COMMAND', 'INFO', name));
    return info.length > 0 && info[0] !== null;
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const c of await Promise.allSettled(clients)) if (c.status === 'fulfilled') c.value.close();
  }

  private async loadSlots(): Promise<void> {
    const seed = await this.client(this.spec.nodes[0], 0);
    const owner = new Int32Array(16384).fill(-1);
    for (const { from, to, master } of await clusterSlots(seed, parseNodeAddress(this.spec.nodes[0], this.spec).host)) {
      let i = this.masterAddrs.indexOf(master);
      if (i < 0) i = this.masterAddrs.push(master) - 1;
      owner.fill(i, from, to + 1);
    }
    this.slotOwner = owner;
  }
}
