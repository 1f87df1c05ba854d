// `autocode up | down | status`: the local stack (dev server, both workers) under one supervisor.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { PATHS, ROOT, stackPorts, TOOLS } from '../../infra/paths';
import { checkPorts, checkTools, PreflightError } from '../../infra/preflight';
import { isAlive, readStackState, type StackState } from '../../infra/stack-state';
import { queuePollers, Supervisor } from '../../infra/supervisor';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function running(state: StackState): boolean {
  return isAlive(state.supervisor_pid) && ['starting', 'ready'].includes(state.state);
}

export async function up(opts: { detach: boolean }): Promise<number> {
  const current = readStackState();
  if (current && running(current)) {
    console.log(`the stack is already ${current.state} (supervisor pid ${current.supervisor_pid})`);
    if (current.state === 'starting') await waitUntilSettled();
    return printStatus();
  }
  try {
    checkTools();
    await checkPorts(stackPorts());
  } catch (err) {
    if (err instanceof PreflightError) {
      console.error(`autocode up: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (opts.detach) {
    mkdirSync(PATHS.logs, { recursive: true });
    const fd = openSync(join(PATHS.logs, 'supervisor.log'), 'a');
    const child = spawn(
      process.execPath,
      ['--import', TOOLS.tsxLoader, join(ROOT, 'infra', 'supervisor-main.ts')],
      {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', fd, fd],
      },
    );
    child.unref();
    const settled = await waitUntilSettled(child.pid);
    if (settled?.state !== 'ready') {
      console.error(
        `autocode up: the stack did not start: ${settled?.error ?? 'see var/logs/supervisor.log'}`,
      );
      console.error(tail(join(PATHS.logs, 'supervisor.log'), 15));
      return 1;
    }
    return printStatus();
  }
  const supervisor = new Supervisor(stackPorts());
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= supervisor.stop().then(() => console.log('stack stopped'));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await supervisor.start();
  } catch (err) {
    console.error(`autocode up: ${err instanceof Error ? err.message : err}`);
    return 1;
  }
  await printStatus();
  console.log('supervising; Ctrl-C stops everything');
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (stopping)
        stopping.then(() => {
          clearInterval(timer);
          resolve();
        });
    }, 200);
  });
  return 0;
}

async function waitUntilSettled(pid?: number, timeoutMs = 240_000): Promise<StackState | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = readStackState();
    const mine = !pid || s?.supervisor_pid === pid;
    if (s && mine && ['ready', 'failed', 'stopped'].includes(s.state)) return s;
    if (pid && !isAlive(pid)) return readStackState();
    await sleep(300);
  }
  return readStackState();
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function down(): Promise<number> {
  const state = readStackState();
  if (!state) {
    console.log('nothing to stop');
    return 0;
  }
  if (isAlive(state.supervisor_pid)) {
    process.kill(state.supervisor_pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (isAlive(state.supervisor_pid) && Date.now() < deadline) await sleep(200);
  }
  // A supervisor that was killed leaves its children: stop them by process group.
  for (const p of Object.values(readStackState()?.processes ?? {})) {
    if (p?.pid && isAlive(p.pid) && cmdlineOf(p.pid).includes(p.command.split(' ')[0] ?? '\0')) {
      try {
        process.kill(-p.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
  }
  console.log('stack stopped');
  return 0;
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export async function printStatus(json = false): Promise<number> {
  const state = readStackState();
  const alive = state !== undefined && running(state);
  let queues: Record<'cpu' | 'gpu', string[]> | undefined;
  let health = 'down';
  if (alive) {
    try {
      const connection = await Connection.connect({ address: state.temporal_address, connectTimeout: 2000 });
      const res = await connection.healthService.check({});
      health = res.status === 1 ? 'serving' : 'not serving';
      queues = await queuePollers(new Client({ connection }));
      await connection.close();
    } catch (err) {
      health = `unreachable (${err instanceof Error ? err.message : err})`;
    }
  }
  if (json) {
    console.log(JSON.stringify({ running: alive, health, queues, ...state }, null, 2));
    return alive ? 0 : 3;
  }
  if (!state || !alive) {
    const last = state ? ` (last state: ${state.state}${state.error ? `: ${state.error}` : ''})` : '';
    console.log(`stack: not running${last}`);
    return 3;
  }
  const procLine = (name: 'temporal' | 'worker-cpu' | 'worker-gpu') => {
    const p = state.processes[name];
    if (!p) return `${name}: not started`;
    const status = isAlive(p.pid) ? `pid ${p.pid}` : 'down';
    return `${status}, restarts ${p.restarts}, log ${p.log}`;
  };
  console.log(`stack: ${state.state} (supervisor pid ${state.supervisor_pid}, since ${state.started_at})`);
  console.log(
    `  temporal server  ${state.temporal_address} (${health}), state ${state.db_file}; ${procLine('temporal')}`,
  );
  console.log(`  web ui           ${state.ui_url}`);
  console.log(
    `  worker cpu       queue "cpu" polled by [${queues?.cpu.join(', ') ?? '?'}]; ${procLine('worker-cpu')}`,
  );
  console.log(
    `  worker gpu       queue "gpu" polled by [${queues?.gpu.join(', ') ?? '?'}]; ${procLine('worker-gpu')}`,
  );
  return 0;
}

export function register(program: Command): void {
  program
    .command('up')
    .description('start the Temporal dev server and both workers, supervised')
    .option('-d, --detach', 'run the supervisor in the background and return once ready', false)
    .action(async (o: { detach: boolean }) => {
      process.exitCode = await up(o);
    });
  program
    .command('down')
    .description('stop the workers and the server')
    .action(async () => {
      process.exitCode = await down();
    });
  program
    .command('status')
    .description('what runs where: ports, Web UI, queues and their pollers, pids')
    .option('--json', 'machine-readable', false)
    .action(async (o: { json: boolean }) => {
      process.exitCode = await printStatus(o.json);
    });
}
