// The machine a daemon runs on, as the status and the Pulumi outputs name it (allow-lists of managed services).
import { networkInterfaces } from 'node:os';

/** This host's external (non-loopback) addresses. */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal).map((a) => a!.address);
}
