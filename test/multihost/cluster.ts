// A cluster of test hosts (test/helpers/hosts.ts): the Temporal server bound on the bridge's address in
// the root namespace, real TypeScript workers on `cpu` hosts and real Python workers on `gpu` hosts,
// each worker started as the supervisor starts it, with AUTOCODE_TEMPORAL_ADDRESS pointing across the
// network, and the store a directory every host sees at the same path.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
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

async function freeClusterPort(ip: string): Promise<number> {
  const start = PORTS.low + Math.floor(Math.random() * (PORTS.high - PORTS.low));
  for (let i = 0; i <= PORTS.high - PORTS.low; i++) {
    const port = PORTS.low + ((start - PORTS.low + i) % (PORTS.high - PORTS.low + 1));
    if (await isPortFree(port, ip)) return port;
  }
  throw new Error(`no free port in ${PORTS.low}-${PORTS.high} on ${ip}`);
}

/** The network, its hosts by name, and the server on the gateway (dev server until the cluster lands). */
export async function startCluster(hostNames: string[]): Promise<Cluster> {
  const net = createTestNetwork();
  try {
    for (const name of hostNames) net.addHost(name);
    // The dev server's services dial each other on 127.0.0.1 whatever --ip says (with the bridge's
    // address they cannot reach one another): it binds every address, the hosts dial the bridge's.
    const port = await freeClusterPort('0.0.0.0');
    const dev = await startDevServer({ ip: '0.0.0.0', port, uiPort: null });
    const server = { process: dev.process, address: `${net.gateway}:${port}` };
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const workers: ClusterWorker[] = [];
    const cluster: Cluster = {
      net,
      address: server.address,
      client,
      workers,
      startWorker(host, kind, env) {
        const log = join(VAR_DIR, 'test-logs', `multihost-${host.name}-${workers.length}.log`);
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
        await stopProcess(server.process).catch(() => {});
        net.destroy();
      },
    };
    return cluster;
  } catch (err) {
    net.destroy();
    throw err;
  }
}
