// `autocode cluster up | down | status`: the PostgreSQL-backed Temporal cluster (infra/cluster/).

import { join } from 'node:path';
import type { Command } from 'commander';
import { clusterStatus, resolveClusterOptions, startCluster, stopCluster } from '../../infra/cluster/cluster';

function fail(what: string, err: unknown): number {
  console.error(`autocode cluster ${what}: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
}

export async function clusterUp(): Promise<number> {
  const t0 = Date.now();
  try {
    const info = await startCluster();
    console.log(`cluster ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`  point workers and the CLI at it: export AUTOCODE_TEMPORAL_ADDRESS=${info.address}`);
  } catch (err) {
    return fail('up', err);
  }
  return clusterStatusCommand(false);
}

export async function clusterDown(): Promise<number> {
  try {
    await stopCluster();
  } catch (err) {
    return fail('down', err);
  }
  console.log(`cluster stopped (its data stays under ${join(resolveClusterOptions().varDir, 'cluster')})`);
  return 0;
}

export async function clusterStatusCommand(json: boolean): Promise<number> {
  const s = await clusterStatus();
  if (json) {
    console.log(JSON.stringify(s, null, 2));
  } else {
    console.log(`cluster: ${s.running ? 'running' : 'not running'} (${s.varDir}/cluster)`);
    for (const p of s.processes) {
      const pid = p.pid ? `pid ${p.pid}` : 'no process';
      console.log(
        `  ${p.name.padEnd(9)} ${p.address.padEnd(24)} ${pid.padEnd(11)} ${p.health}; log ${p.log}`,
      );
    }
  }
  return s.running ? 0 : 3;
}

export function register(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('the PostgreSQL-backed Temporal server with its Web UI (var/cluster; see docs/cluster.md)');
  cluster
    .command('up')
    .description('start PostgreSQL, the Temporal server and the Web UI (only what is not running)')
    .action(async () => {
      process.exitCode = await clusterUp();
    });
  cluster
    .command('down')
    .description('stop the Web UI, the server and PostgreSQL; the data stays')
    .action(async () => {
      process.exitCode = await clusterDown();
    });
  cluster
    .command('status')
    .description('each process with its pid, address and health')
    .option('--json', 'machine-readable', false)
    .action(async (o: { json: boolean }) => {
      process.exitCode = await clusterStatusCommand(o.json);
    });
}
