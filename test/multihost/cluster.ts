// A cluster of test hosts (test/helpers/hosts.ts): the Temporal server bound on the bridge's address in
// the root namespace, real TypeScript workers on `cpu` hosts and real Python workers on `gpu` hosts,
// each worker started as the supervisor starts it, with AUTOCODE_TEMPORAL_ADDRESS pointing across the
// network, and the store a directory every host sees at the same path.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startCluster as startTemporalCluster, stopCluster } from '../../infra/cluster/cluster';
import { ROOT, TOOLS, VAR_DIR } from '../../infra/paths';
import { isPortFree } from '../../infra/ports';
import { queuePollers } from '../../infra/supervisor';
import { startDevServer } from '../../infra/temporal-server';
import { createTestNetwork, type TestHost, type TestNetwork } from '../helpers/hosts';
import { stopProcess } from '../helpers/stack';

/** This area's ports (17600-17699). */
const PORTS = { low: 17600, high: 17699 };

export interface ClusterWorker {
  host: TestHost;
  kind: 'cpu' | 'gpu';
  process: ChildProcess;
  log: string;
}

export interface Cluster {
  net: TestNetwork;
  /** Which Temporal server answers at `address`. */
  server: ServerKind;
  address: string;
  client: Client;
  workers: ClusterWorker[];
  /** Starts one worker of `kind` in `host` with `env` (the store, the sandbox size...). */
  startWorker(host: TestHost, kind: 'cpu' | 'gpu', env: NodeJS.ProcessEnv): ClusterWorker;
  /** Resolves once each of these workers polls its queue (by identity: the server remembers old pollers). */
  waitForPollers(ws: ClusterWorker[], timeoutMs?: number): Promise<void>;
  /** The worker of an identity (`<kind>@<pid>`), alive or killed. */
  workerOf(identity: string): ClusterWorker | undefined;
  /** Stops every worker that is still alive (SIGTERM, then SIGKILL). */
  stopWorkers(): Promise<void>;
  destroy(): Promise<void>;
}

/** `n` consecutive free ports in this area's range, on `ip`. */
async function freePorts(ip: string, n: number): Promise<number> {
  const blocks = Math.floor((PORTS.high - PORTS.low + 1) / n);
  const first = Math.floor(Math.random() * blocks);
  for (let i = 0; i < blocks; i++) {
    const base = PORTS.low + ((first + i) % blocks) * n;
    const free = await Promise.all(Array.from({ length: n }, (_, k) => isPortFree(base + k, ip)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${n} free ports in ${PORTS.low}-${PORTS.high} on ${ip}`);
}

/**
 * postgres: the PostgreSQL-backed cluster (infra/cluster/), every process bound on the bridge's
 * address. dev: the CLI's dev server; its services dial each other on 127.0.0.1 whatever --ip says
 * (with the bridge's address they cannot reach one another), so it binds every address.
 */
export type ServerKind = 'postgres' | 'dev';

async function startServer(kind: ServerKind, gateway: string, dir: string) {
  if (kind === 'dev') {
    const port = await freePorts('0.0.0.0', 1);
    const dev = await startDevServer({ ip: '0.0.0.0', port, uiPort: null });
    return { address: `${gateway}:${port}`, stop: () => stopProcess(dev.process) };
  }
  // The frontend and its 8 service ports, then PostgreSQL's.
  const base = await freePorts(gateway, 10);
  // In the network's directory: a crashed run's daemons are found and killed with its slot.
  const varDir = join(dir, 'temporal');
  mkdirSync(varDir, { recursive: true });
  chmodSync(varDir, 0o755); // PostgreSQL runs as its own user and must reach its data directory
  const options = { ip: gateway, frontendPort: base, pgPort: base + 9, uiPort: null, varDir };
  try {
    const info = await startTemporalCluster(options);
    return {
      address: info.address,
      async stop() {
        await stopCluster(options);
        rmSync(varDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopCluster(options).catch(() => {});
    throw err;
  }
}

/** The network, its hosts by name, and the Temporal server on the gateway. */
export async function startCluster(hostNames: string[], kind: ServerKind = 'postgres'): Promise<Cluster> {
  const net = createTestNetwork();
  try {
    for (const name of hostNames) net.addHost(name);
    const server = await startServer(kind, net.gateway, net.dir);
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const workers: ClusterWorker[] = [];
    const cluster: Cluster = {
      net,
      server: kind,
      address: server.address,
      client,
      workers,
      startWorker(host, kind, env) {
        const log = join(VAR_DIR, 'test-logs', `multihost-${host.ns}-${workers.length}.log`);
        const common = { AUTOCODE_TEMPORAL_ADDRESS: server.address, PYTHONUNBUFFERED: '1', ...env };
        const child =
          kind === 'cpu'
            ? host.spawn(process.execPath, ['--import', TOOLS.tsxLoader, join(ROOT, 'workers', 'cpu.ts')], {
                env: common,
                log,
              })
            : // The embedded policy server binds this host's address, where the cpu hosts reach it.
              host.spawn(TOOLS.python, ['-m', 'autocode_gpu.worker'], {
                env: { AUTOCODE_SERVE_HOST: host.address, ...common },
                log,
              });
        const w = { host, kind, process: child, log };
        workers.push(w);
        return w;
      },
      async waitForPollers(ws, timeoutMs = 240_000) {
        const deadline = Date.now() + timeoutMs;
        let seen = { cpu: [] as string[], gpu: [] as string[] };
        while (Date.now() < deadline) {
          seen = await queuePollers(client);
          if (ws.every((w) => seen[w.kind].includes(`${w.kind}@${w.process.pid}`))) return;
          const dead = ws.find((w) => w.process.exitCode !== null || w.process.signalCode !== null);
          if (dead) throw new Error(`the ${dead.kind} worker on ${dead.host.name} exited (log: ${dead.log})`);
          await new Promise((r) => setTimeout(r, 500));
        }
        throw new Error(
          `pollers after ${timeoutMs} ms: ${JSON.stringify(seen)} (logs: ${VAR_DIR}/test-logs)`,
        );
      },
      workerOf(identity) {
        return workers.find((w) => `${w.kind}@${w.process.pid}` === identity);
      },
      async stopWorkers() {
        await Promise.all(workers.map((w) => stopProcess(w.process, 'SIGTERM', 15_000)));
      },
      async destroy() {
        await cluster.stopWorkers().catch(() => {});
        await connection.close().catch(() => {});
        await server.stop().catch(() => {});
        net.destroy();
      },
    };
    return cluster;
  } catch (err) {
    net.destroy();
    throw err;
  }
}

/** Step checkpoints of unfinished trainings in the shared store (gpu/src/autocode_gpu/paths.py). */
export function stepFiles(store: string): number[] {
  const work = join(store, '_work');
  if (!existsSync(work)) return [];
  return readdirSync(work).flatMap((key) =>
    readdirSync(join(work, key))
      .map((f) => /^step-(\d{8})\.pt$/.exec(f)?.[1])
      .filter((x): x is string => !!x)
      .map(Number),
  );
}
