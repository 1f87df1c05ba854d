// The Temporal CLI's dev server (SQLite or in-memory): arguments, readiness, namespace retention.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { NAMESPACE, SEARCH_ATTRIBUTES } from '../schemas/queues';
import { INSTALL_HINT, TOOLS } from './paths';

const run = promisify(execFile);

/** 30 days: failed runs must stay resettable well past the dev server's hard-coded 24 h. */
export const RETENTION = '720h';

export interface DevServerOptions {
  ip: string;
  port: number;
  /** Web UI port; null runs headless. */
  uiPort: number | null;
  /** SQLite file; undefined keeps state in memory (tests). */
  dbFile?: string;
  logFile?: string;
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(o.port), '--log-level', 'warn'];
  if (o.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort), '--ui-ip', o.ip, '--ui-disable-news-fetch');
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  for (const sa of Object.values(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${sa.name}=${sa.type}`);
  return args;
}

export function checkTemporalBinary(): void {
  if (!existsSync(TOOLS.temporal)) {
    throw new Error(`the Temporal CLI is missing (${TOOLS.temporal}); install it with: ${INSTALL_HINT}`);
  }
}

export function spawnDevServer(o: DevServerOptions): ChildProcess {
  checkTemporalBinary();
  if (o.dbFile) mkdirSync(dirname(o.dbFile), { recursive: true });
  let stdio: ['ignore', number, number] | ['ignore', 'ignore', 'ignore'] = ['ignore', 'ignore', 'ignore'];
  if (o.logFile) {
    mkdirSync(dirname(o.logFile), { recursive: true });
    const fd = openSync(o.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  return spawn(TOOLS.temporal, devServerArgs(o), { stdio });
}

/** Resolves once the frontend answers its health check; rejects after `timeoutMs`. */
export async function waitForServer(
  address: string,
  timeoutMs = 60_000,
  isAlive = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the Temporal server exited before it became ready (${address})`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        const res = await connection.healthService.check({});
        if (res.status === 1) return; // SERVING
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `the Temporal server at ${address} was not ready within ${timeoutMs} ms: ${String(lastError)}`,
  );
}

export async function raiseRetention(address: string, namespace = NAMESPACE): Promise<void> {
  await run(TOOLS.temporal, [
    'operator',
    'namespace',
    'update',
    '--address',
    address,
    '--retention',
    RETENTION,
    namespace,
  ]);
}

export async function namespaceRetentionHours(address: string, namespace = NAMESPACE): Promise<number> {
  const { stdout } = await run(TOOLS.temporal, [
    'operator',
    'namespace',
    'describe',
    '--address',
    address,
    '--output',
    'json',
    namespace,
  ]);
  const ttl: string = JSON.parse(stdout).config.workflowExecutionRetentionTtl; // e.g. "2592000s"
  return Number.parseFloat(ttl) / 3600;
}

/** Starts a dev server, waits until ready and raises retention. Tests and the supervisor use it. */
export async function startDevServer(
  o: DevServerOptions,
): Promise<{ process: ChildProcess; address: string }> {
  const child = spawnDevServer(o);
  const address = `${o.ip}:${o.port}`;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    await waitForServer(address, 60_000, () => !exited);
    await raiseRetention(address);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { process: child, address };
}
