// Runs and supervises the local stack: the Temporal dev server, the TypeScript worker and the Python
// worker. Restarts a crashed process with backoff, records pids and logs in var/run/stack.json, and
// stops everything cleanly (workers first, then the server) on stop().
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NAMESPACE, TASK_QUEUES } from '../schemas/queues';
import { PATHS, ROOT, type StackPorts, TOOLS } from './paths';
import { type ProcessName, type StackState, writeStackState } from './stack-state';
import { devServerArgs, raiseRetention, waitForServer } from './temporal-server';

interface ProcessSpec {
  name: ProcessName;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const MAX_BACKOFF_MS = 30_000;

export class Supervisor {
  private readonly children = new Map<ProcessName, ChildProcess>();
  private readonly specs: ProcessSpec[];
  private stopping = false;
  readonly state: StackState;
  private readonly address: string;

  constructor(readonly ports: StackPorts) {
    this.address = `${ports.ip}:${ports.temporal}`;
    const workerEnv = { AUTOCODE_TEMPORAL_ADDRESS: this.address, PYTHONUNBUFFERED: '1' };
    this.specs = [
      {
        name: 'temporal',
        command: TOOLS.temporal,
        args: devServerArgs({
          ip: ports.ip,
          port: ports.temporal,
          uiPort: ports.ui,
          dbFile: PATHS.temporalDb,
        }),
      },
      {
        name: 'worker-cpu',
        command: process.execPath,
        args: ['--import', TOOLS.tsxLoader, join(ROOT, 'workers', 'cpu.ts')],
        env: workerEnv,
      },
      { name: 'worker-gpu', command: TOOLS.python, args: ['-m', 'autocode_gpu.worker'], env: workerEnv },
    ];
    this.state = {
      state: 'starting',
      supervisor_pid: process.pid,
      temporal_address: this.address,
      ui_url: `http://${ports.ip}:${ports.ui}`,
      db_file: PATHS.temporalDb,
      started_at: new Date().toISOString(),
      processes: {},
    };
  }

  private spec(name: ProcessName): ProcessSpec {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) throw new Error(`no process named ${name}`);
    return spec;
  }

  private save(): void {
    writeStackState(this.state);
  }

  private launch(name: ProcessName): ChildProcess {
    const spec = this.spec(name);
    mkdirSync(PATHS.logs, { recursive: true });
    const log = join(PATHS.logs, `${name}.log`);
    const fd = openSync(log, 'a');
    // Own process group, so stop() also reaches whatever a worker spawned (inference server, sandboxes).
    const child = spawn(spec.command, spec.args, {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env },
    });
    const prev = this.state.processes[name];
    this.state.processes[name] = {
      name,
      pid: child.pid ?? null,
      command: [spec.command, ...spec.args].join(' '),
      log,
      restarts: prev ? prev.restarts : 0,
      started_at: new Date().toISOString(),
    };
    this.children.set(name, child);
    this.save();
    const startedAt = Date.now();
    child.once('exit', (code, signal) => this.onExit(name, code, signal, Date.now() - startedAt));
    return child;
  }

  private onExit(name: ProcessName, code: number | null, signal: string | null, ranMs: number): void {
    this.children.delete(name);
    const proc = this.state.processes[name];
    if (proc) proc.pid = null;
    if (this.stopping) return;
    const restarts = (proc?.restarts ?? 0) + 1;
    // Back off when a process keeps dying right after start; reset after a healthy minute.
    const backoff = ranMs > 60_000 ? 1000 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(restarts, 5));
    console.error(
      `[supervisor] ${name} exited (code ${code}, signal ${signal}); restarting in ${backoff} ms`,
    );
    if (proc) proc.restarts = restarts;
    this.save();
    setTimeout(() => {
      if (!this.stopping) this.launch(name);
    }, backoff).unref();
  }

  /** Starts everything; resolves when the server is healthy and both queues have pollers. */
  async start(readyTimeoutMs = 180_000): Promise<void> {
    mkdirSync(PATHS.run, { recursive: true });
    mkdirSync(dirname(PATHS.temporalDb), { recursive: true });
    writeFileSync(PATHS.supervisorPid, `${process.pid}\n`);
    this.save();
    try {
      const server = this.launch('temporal');
      await waitForServer(this.address, 60_000, () => server.exitCode === null && server.signalCode === null);
      await raiseRetention(this.address);
      this.launch('worker-cpu');
      this.launch('worker-gpu');
      await this.waitForPollers(readyTimeoutMs);
      this.state.state = 'ready';
      this.save();
    } catch (err) {
      this.state.error = err instanceof Error ? err.message : String(err);
      await this.stop('failed');
      throw err;
    }
  }

  private async waitForPollers(timeoutMs: number): Promise<void> {
    const connection = await Connection.connect({ address: this.address });
    try {
      const client = new Client({ connection });
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const polled = await queuePollers(client);
        if (polled.cpu.length > 0 && polled.gpu.length > 0) return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(
        `the workers did not poll their task queues within ${timeoutMs} ms (see ${PATHS.logs})`,
      );
    } finally {
      await connection.close();
    }
  }

  /** Stops workers first (they finish or hand back their tasks), then the server. */
  async stop(finalState: 'stopped' | 'failed' = 'stopped'): Promise<void> {
    this.stopping = true;
    this.state.state = 'stopping';
    this.save();
    await Promise.all(['worker-cpu', 'worker-gpu'].map((n) => this.terminate(n as ProcessName, 15_000)));
    await this.terminate('temporal', 10_000);
    this.state.state = finalState;
    this.save();
    rmSync(PATHS.supervisorPid, { force: true });
  }

  private terminate(name: ProcessName, graceMs: number): Promise<void> {
    const child = this.children.get(name);
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const pid = child.pid;
    return new Promise((resolve) => {
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        // Reap what the process left in its group.
        kill('SIGKILL');
        resolve();
      });
      kill('SIGTERM');
    });
  }
}

/** Identities of the workers polling each task queue (activity pollers). */
export async function queuePollers(client: Client): Promise<Record<'cpu' | 'gpu', string[]>> {
  const out = { cpu: [] as string[], gpu: [] as string[] };
  for (const q of ['cpu', 'gpu'] as const) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: NAMESPACE,
      taskQueue: { name: TASK_QUEUES[q] },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    out[q] = (res.pollers ?? []).map((p) => p.identity ?? '?');
  }
  return out;
}
