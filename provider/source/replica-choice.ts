// source.readFrom "any": which replica of the master to stream from, chosen from the master's own view (INFO
// replication) at each connection attempt, so a replica that went away is replaced by another on the retry.

export interface ReplicaCandidate { host: string; port: number; offset: number; lag: number }

/** The master's connected replicas that are online ("slave0:ip=...,port=...,state=online,offset=...,lag=..."). */
export function onlineReplicas(infoReplication: string): ReplicaCandidate[] {
  const out: ReplicaCandidate[] = [];
  for (const m of infoReplication.matchAll(/^slave\d+:(.*)$/gm)) {
    const f = Object.fromEntries(m[1].trim().split(',').map((kv) => kv.split('=') as [string, string]));
    const port = Number(f.port);
    if (f.state !== 'online' || !f.ip || !Number.isInteger(port)) continue;
    out.push({ host: f.ip, port, offset: Number(f.offset) || 0, lag: Number(f.lag) || 0 });
  }
  return out;
}

/** The healthiest: most of the stream acknowledged, then the freshest acknowledgement. */
export function bestReplica(candidates: ReplicaCandidate[]): ReplicaCandidate | null {
  return [...candidates].sort((a, b) => b.offset - a.offset || a.lag - b.lag)[0] ?? null;
}
