// Real embedded policy servers for the inference-pool tests and bench: `python -m autocode_gpu.server`
// processes on tiny checkpoints (random weights, built by tiny_checkpoints.py), each started as the gpu
// worker's pool starts its replicas (--announce, --exit-with-stdin).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT, TOOLS } from '../../infra/paths';

export interface Checkpoints {
  a: string;
  b: string;
  /** A copy of `a` with a corrupt config.json, outside the store. */
  broken: string;
}

/** Builds (or finds) the tiny checkpoints in the store at `store`. */
export async function tinyCheckpoints(
  store: string,
  dir: string,
  config: 'test' | 'default' = 'test',
): Promise<Checkpoints> {
  const { stdout } = await promisify(execFile)(
    TOOLS.python,
    [join(ROOT, 'test/inference/tiny_checkpoints.py'), dir, '--config', config],
    { env: { ...process.env, AUTOCODE_STORE: store }, timeout: 600_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Checkpoints;
}

export interface EmbeddedServer {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Ends it the way the pool does: closes its stdin. */
  stop(): Promise<void>;
}

export async function startEmbeddedServer(
  checkpoint: string,
  o: { port: number; threads: number; store: string; maxBatchSize?: number },
): Promise<EmbeddedServer> {
  const args = ['-m', 'autocode_gpu.server', '--model', checkpoint, '--port', String(o.port)];
  args.push('--device', 'cpu', '--threads', String(o.threads), '--announce', '--exit-with-stdin');
  if (o.maxBatchSize) args.push('--max-batch-size', String(o.maxBatchSize));
  const child = spawn(TOOLS.python, args, {
    cwd: join(ROOT, 'gpu'),
    env: { ...process.env, AUTOCODE_STORE: o.store, OMP_NUM_THREADS: String(o.threads) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`embedded server on port ${o.port} exited (${code})`)));
  });
  const { url, pid } = JSON.parse(line) as { url: string; pid: number };
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    pid,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      await exited;
    },
  };
}

export async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  return (await res.json()) as Record<string, unknown>;
}
