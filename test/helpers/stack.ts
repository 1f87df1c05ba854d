// Test fixtures: a real Temporal dev server (in memory, free ports) and real workers of both kinds.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { ROOT, TOOLS, VAR_DIR } from '../../infra/paths';
import { freePort } from '../../infra/ports';
import { startDevServer } from '../../infra/temporal-server';
import { createCpuWorker } from '../../workers/cpu';

export interface TestServer {
  address: string;
  client: Client;
  stop(): Promise<void>;
}

export async function startTestServer(
  opts: { ui?: boolean } = {},
): Promise<TestServer & { uiUrl: string | null }> {
  const port = await freePort();
  const uiPort = opts.ui ? await freePort() : null;
  const { process: server, address } = await startDevServer({ ip: '127.0.0.1', port, uiPort });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : null,
    client,
    async stop() {
      await connection.close();
      await stopProcess(server);
    },
  };
}

export async function startCpuWorker(
  address: string,
  taskQueue?: string,
): Promise<{ worker: Worker; stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address });
  const worker = await createCpuWorker({ connection, taskQueue });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** The real Python worker as a child process; its log goes to var/test-logs/<name>.log. */
export function spawnGpuWorker(address: string, name: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const logDir = join(VAR_DIR, 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const fd = openSync(join(logDir, `${name}.log`), 'a');
  return spawn(TOOLS.python, ['-m', 'autocode_gpu.worker', '--address', address], {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
  });
}

export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** The real TypeScript worker as a child process (as the supervisor runs it), with its own env. */
export function spawnCpuWorker(address: string, name: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const logDir = join(VAR_DIR, 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const fd = openSync(join(logDir, `${name}.log`), 'a');
  return spawn(process.execPath, ['--import', TOOLS.tsxLoader, join(ROOT, 'workers', 'cpu.ts')], {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, AUTOCODE_TEMPORAL_ADDRESS: address, ...env },
  });
}
