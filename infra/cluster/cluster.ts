// The PostgreSQL-backed Temporal cluster as a whole: start (idempotent: only what is not running is
// started), stop, and status with each process's pid, address and health. State: <varDir>/cluster.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import { NAMESPACE, SEARCH_ATTRIBUTES } from '../../schemas/queues';
import { isPortFree, portHolder } from '../ports';
import { RETENTION, raiseRetention, waitForServer } from '../temporal-server';
import { type Daemon, daemonPid, logTail, pidFileIn, startDaemon, stopDaemon } from './daemon';
import {
  CLUSTER_INSTALL_HINT,
  type ClusterOptions,
  clusterBinaries,
  clusterDefaults,
  clusterFiles,
  servicePorts,
} from './layout';
import {
  createTemporalDatabases,
  initPostgres,
  postgresPid,
  psql,
  startPostgres,
  stopPostgres,
} from './postgres';
import { setupSchema } from './schema';
import { loadSecrets } from './secrets';
import { checkTemporalServer } from './server-check';
import { DATABASES, writeServerConfig, writeUiConfig } from './server-config';

export interface ClusterInfo {
  address: string;
  uiUrl: string | null;
  pgAddress: string;
}

interface ClusterState {
  options: ClusterOptions;
  address: string;
  ui_url: string | null;
  started_at: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readState(varDir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(clusterFiles(varDir).state, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function writeState(s: ClusterState): void {
  const file = clusterFiles(s.options.varDir).state;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** Explicit options, else the ones the cluster under that var dir was started with, else defaults. */
export function resolveClusterOptions(given: Partial<ClusterOptions> = {}): ClusterOptions {
  const varDir = given.varDir ?? clusterDefaults().varDir;
  const recorded = readState(varDir)?.options;
  return { ...clusterDefaults(), ...recorded, ...given, varDir };
}

function serverDaemon(o: ClusterOptions): Daemon {
  const f = clusterFiles(o.varDir);
  return {
    name: 'temporal server',
    command: clusterBinaries().server,
    args: ['--config-file', f.serverConfig, '--allow-no-auth', 'start'],
    log: f.serverLog,
    pidFile: pidFileIn(f.run, 'temporal'),
  };
}

function uiDaemon(o: ClusterOptions): Daemon {
  const f = clusterFiles(o.varDir);
  return {
    name: 'web ui',
    command: clusterBinaries().ui,
    args: ['--root', f.uiConfigDir, '--config', '.', '--env', 'cluster', 'start'],
    log: f.uiLog,
    pidFile: pidFileIn(f.run, 'ui'),
    cwd: f.uiConfigDir,
  };
}

function anyRunning(o: ClusterOptions): boolean {
  return postgresPid(o) !== null || daemonPid(serverDaemon(o)) !== null || daemonPid(uiDaemon(o)) !== null;
}

async function checkFree(ip: string, ports: [string, number][]): Promise<void> {
  const taken: string[] = [];
  for (const [what, port] of ports) {
    if (!(await isPortFree(port, ip))) {
      taken.push(`port ${port} (${what}) on ${ip} is in use by ${portHolder(port) ?? 'an unknown process'}`);
    }
  }
  if (taken.length > 0) throw new Error(`cannot start the cluster: ${taken.join('; ')}`);
}

function checkBinaries(o: ClusterOptions): void {
  const b = clusterBinaries();
  const missing = [b.server, b.sqlTool, ...(o.uiPort === null ? [] : [b.ui])].filter((p) => !existsSync(p));
  if (missing.length > 0)
    throw new Error(`the cluster is not installed (missing ${missing.join(', ')}): ${CLUSTER_INSTALL_HINT}`);
}

type SearchAttributeType = (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES]['type'];

/** Every type SEARCH_ATTRIBUTES uses (a new one fails the type check here until it is mapped). */
const INDEXED: Record<SearchAttributeType, proto.temporal.api.enums.v1.IndexedValueType> = {
  Keyword: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Bool: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

const ALREADY_EXISTS = 6;

/** The `default` namespace with the project's retention, and the search attributes the UI filters on. */
async function prepareNamespace(address: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace: NAMESPACE,
        workflowExecutionRetentionPeriod: msToTs(RETENTION),
      });
    } catch (err) {
      if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
    }
    await raiseRetention(address);
    const have = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
    const missing = Object.values(SEARCH_ATTRIBUTES).filter((sa) => !have.customAttributes?.[sa.name]);
    if (missing.length > 0) {
      const searchAttributes = Object.fromEntries(missing.map((sa) => [sa.name, INDEXED[sa.type]]));
      await connection.operatorService.addSearchAttributes({ namespace: NAMESPACE, searchAttributes });
    }
    // A new namespace reaches the frontend's namespace cache within seconds: wait until it serves.
    const client = new Client({ connection });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await client.workflowService.listWorkflowExecutions({ namespace: NAMESPACE, pageSize: 1 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(500);
      }
    }
  } finally {
    await connection.close();
  }
}

async function waitForHttp(url: string, isAlive: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the Web UI server exited before it served ${url}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(250);
  }
  throw new Error(`the Web UI at ${url} did not answer within ${timeoutMs} ms: ${last}`);
}

/** Starts whatever of the cluster is not running; returns once the frontend serves the namespace. */
export async function startCluster(given: Partial<ClusterOptions> = {}): Promise<ClusterInfo> {
  const defaults = clusterDefaults();
  const recorded = readState(given.varDir ?? defaults.varDir);
  const live = recorded && anyRunning(recorded.options) ? recorded.options : undefined;
  // A running cluster keeps its options; a stopped one takes the current defaults (env) and `given`.
  const o: ClusterOptions = { ...defaults, ...live, ...given, varDir: given.varDir ?? defaults.varDir };
  if (live && JSON.stringify(live) !== JSON.stringify(o)) {
    throw new Error(
      `a cluster under ${o.varDir} already runs with other options (${recorded?.address}); stop it first: autocode cluster down`,
    );
  }
  checkBinaries(o);
  const f = clusterFiles(o.varDir);
  const address = `${o.ip}:${o.frontendPort}`;
  const uiUrl = o.uiPort === null ? null : `http://${o.ip}:${o.uiPort}`;
  const server = serverDaemon(o);
  const ui = uiDaemon(o);
  const wanted: [string, number][] = [];
  if (!postgresPid(o)) wanted.push(['PostgreSQL', o.pgPort]);
  if (!daemonPid(server)) {
    for (const [svc, p] of Object.entries(servicePorts(o.frontendPort))) {
      for (const [kind, port] of Object.entries(p)) wanted.push([`Temporal ${svc} ${kind}`, port]);
    }
  }
  if (o.uiPort !== null && !daemonPid(ui)) wanted.push(['Temporal Web UI', o.uiPort]);
  await checkFree(o.ip, wanted);

  const secrets = loadSecrets(f.secrets);
  await initPostgres(o, secrets);
  await startPostgres(o);
  await createTemporalDatabases(o, secrets, Object.values(DATABASES));
  for (const [kind, database] of [
    ['temporal', DATABASES.default],
    ['visibility', DATABASES.visibility],
  ] as const) {
    await setupSchema({
      host: o.ip,
      port: o.pgPort,
      user: secrets.temporal_user,
      password: secrets.temporal_password,
      database,
      kind,
    });
  }
  writeServerConfig(o, secrets);
  const pid = startDaemon(server);
  try {
    await waitForServer(address, 120_000, () => daemonPid(server) === pid);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : err}\n${logTail(server.log)}`);
  }
  await checkTemporalServer(address);
  await prepareNamespace(address);
  if (o.uiPort !== null && uiUrl) {
    writeUiConfig(o);
    const uiPid = startDaemon(ui);
    await waitForHttp(uiUrl, () => daemonPid(ui) === uiPid);
  }
  writeState({
    options: o,
    address,
    ui_url: uiUrl,
    started_at: recorded?.started_at ?? new Date().toISOString(),
  });
  return { address, uiUrl, pgAddress: `${o.ip}:${o.pgPort}` };
}

/** Stops the UI, then the server (it flushes to PostgreSQL), then PostgreSQL. Idempotent. */
export async function stopCluster(given: Partial<ClusterOptions> = {}): Promise<void> {
  const o = resolveClusterOptions(given);
  await stopDaemon(uiDaemon(o));
  await stopDaemon(serverDaemon(o), 20_000);
  await stopPostgres(o);
}

export interface ProcessStatus {
  name: 'postgres' | 'temporal' | 'ui';
  pid: number | null;
  address: string;
  /** 'serving …' when healthy; otherwise why not. */
  health: string;
  healthy: boolean;
  log: string;
}

export interface ClusterStatus {
  running: boolean;
  address: string;
  varDir: string;
  processes: ProcessStatus[];
}

export async function clusterStatus(given: Partial<ClusterOptions> = {}): Promise<ClusterStatus> {
  const o = resolveClusterOptions(given);
  const f = clusterFiles(o.varDir);
  const address = `${o.ip}:${o.frontendPort}`;
  const processes: ProcessStatus[] = [];

  const pgPid = postgresPid(o);
  let pgHealth = 'down';
  if (pgPid) {
    try {
      const v = await psql(o, loadSecrets(f.secrets), 'SHOW server_version');
      pgHealth = `serving (PostgreSQL ${v})`;
    } catch (err) {
      pgHealth = `not answering: ${(err as Error).message.split('\n').slice(-2).join(' ')}`;
    }
  }
  processes.push({
    name: 'postgres',
    pid: pgPid,
    address: `${o.ip}:${o.pgPort}`,
    health: pgHealth,
    healthy: pgHealth.startsWith('serving'),
    log: f.pgLog,
  });

  const server = serverDaemon(o);
  const serverPid = daemonPid(server);
  let serverHealth = 'down';
  if (serverPid) {
    try {
      const { version } = await checkTemporalServer(address);
      const connection = await Connection.connect({ address, connectTimeout: 3000 });
      const res = await connection.healthService.check({}).finally(() => connection.close());
      serverHealth = res.status === 1 ? `serving (Temporal ${version})` : `not serving (Temporal ${version})`;
    } catch (err) {
      serverHealth = (err as Error).message;
    }
  }
  processes.push({
    name: 'temporal',
    pid: serverPid,
    address,
    health: serverHealth,
    healthy: serverHealth.startsWith('serving'),
    log: server.log,
  });

  if (o.uiPort !== null) {
    const ui = uiDaemon(o);
    const uiPid = daemonPid(ui);
    const url = `http://${o.ip}:${o.uiPort}`;
    let uiHealth = 'down';
    if (uiPid) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        uiHealth = res.ok ? 'serving' : `HTTP ${res.status}`;
      } catch (err) {
        uiHealth = `not answering: ${String(err)}`;
      }
    }
    processes.push({
      name: 'ui',
      pid: uiPid,
      address: url,
      health: uiHealth,
      healthy: uiHealth === 'serving',
      log: ui.log,
    });
  }
  return { running: processes.every((p) => p.healthy), address, varDir: o.varDir, processes };
}
