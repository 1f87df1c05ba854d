// Is there a Temporal server we support at an address? Three distinct answers, each naming the address:
// nothing listens there, something listens but does not speak Temporal's gRPC API, or a Temporal
// server older than the one we support.
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { Connection } from '@temporalio/client';

const VERSIONS = JSON.parse(readFileSync(new URL('./versions.json', import.meta.url), 'utf8')) as {
  min_server: string;
};

/** The oldest Temporal server version the workers and the CLI are tested against. */
export const MIN_SERVER_VERSION = VERSIONS.min_server;

export class TemporalServerError extends Error {
  constructor(
    message: string,
    readonly address: string,
    readonly kind: 'unreachable' | 'not-temporal' | 'too-old',
  ) {
    super(message);
  }
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m?.[1] || !m[2])
    throw new TemporalServerError(`"${address}" is not a host:port address`, address, 'unreachable');
  return { host: m[1], port: Number(m[2]) };
}

function tcpProbe(address: string, timeoutMs: number): Promise<void> {
  const { host, port } = splitAddress(address);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const fail = (why: string) => {
      socket.destroy();
      reject(
        new TemporalServerError(
          `cannot reach the Temporal server at ${address}: ${why}`,
          address,
          'unreachable',
        ),
      );
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}

/** Numeric compare of dotted versions; a pre-release suffix ("1.30.0-rc1") counts as its base. */
export function versionAtLeast(found: string, min: string): boolean {
  const parse = (v: string) => (v.replace(/^v/, '').split(/[-+]/)[0] ?? '').split('.').map(Number);
  const a = parse(found);
  const b = parse(min);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x)) return false;
    if (x !== y) return x > y;
  }
  return true;
}

/** Throws when the version a server reported (GetSystemInfo) is older than the supported one. */
export function assertServerVersion(address: string, version: string | null | undefined): void {
  if (version && versionAtLeast(version, MIN_SERVER_VERSION)) return;
  throw new TemporalServerError(
    `the Temporal server at ${address} is version ${version || '(unreported)'}; autocode needs ${MIN_SERVER_VERSION} or newer`,
    address,
    'too-old',
  );
}

/** Resolves with the server's version, or rejects with a TemporalServerError naming the address. */
export async function checkTemporalServer(address: string, timeoutMs = 5000): Promise<{ version: string }> {
  await tcpProbe(address, timeoutMs);
  let version: string;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    const info = await connection.workflowService.getSystemInfo({});
    version = info.serverVersion ?? '';
  } catch (err) {
    throw new TemporalServerError(
      `something listens at ${address} but it is not a Temporal frontend (gRPC GetSystemInfo failed: ${
        err instanceof Error ? err.message : String(err)
      })`,
      address,
      'not-temporal',
    );
  } finally {
    await connection?.close().catch(() => undefined);
  }
  assertServerVersion(address, version);
  return { version };
}
