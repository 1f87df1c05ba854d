// Which host a worker runs on, in words, for messages a user on a cluster can act on: the name
// (AUTOCODE_HOST, else the hostname) and its non-loopback IPv4 addresses.
import { hostname, networkInterfaces } from 'node:os';

export function hostName(): string {
  return process.env.AUTOCODE_HOST || hostname();
}

export function describeHost(): string {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a?.address);
  return `host ${hostName()}${addresses.length ? ` (${addresses.join(', ')})` : ''}`;
}

/** The error a worker stops with when the Temporal frontend cannot be reached from this host. */
export function unreachableServer(kind: string, address: string, err: unknown): Error {
  const why = err instanceof Error ? err.message : String(err);
  return new Error(
    `the ${kind} worker on ${describeHost()} cannot reach the Temporal server at ${address} ` +
      `(AUTOCODE_TEMPORAL_ADDRESS): ${why}`,
  );
}
