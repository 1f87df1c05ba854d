// The PostgreSQL-backed Temporal cluster's options, files and ports: one place, from defaults and env.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { VAR_DIR } from '../paths';
/** Pinned versions, shared with install.sh. */
export const VERSIONS = JSON.parse(readFileSync(new URL('./versions.json', import.meta.url), 'utf8')) as {
  temporal_server: string;
  ui_server: string;
  min_server: string;
};

export interface ClusterOptions {
  /** Address every process binds and advertises (a non-loopback one serves other hosts). */
  ip: string;
  /** Temporal frontend gRPC port; the server's other services take the next 8 ports. */
  frontendPort: number;
  pgPort: number;
  /** Web UI port; null runs no UI. */
  uiPort: number | null;
  /** Root of the cluster's state: PostgreSQL data, config, logs, pids live under <varDir>/cluster. */
  varDir: string;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65526) throw new Error(`${name}=${raw} is not a usable TCP port`);
  return n;
}

/** Defaults: beside the dev server's ports (7233/8233), so both can run at once. */
export function clusterDefaults(): ClusterOptions {
  return {
    ip: process.env.AUTOCODE_CLUSTER_IP ?? '127.0.0.1',
    frontendPort: portFromEnv('AUTOCODE_CLUSTER_PORT', 7433),
    pgPort: portFromEnv('AUTOCODE_CLUSTER_PG_PORT', 5433),
    uiPort:
      process.env.AUTOCODE_CLUSTER_UI_PORT === 'none' ? null : portFromEnv('AUTOCODE_CLUSTER_UI_PORT', 8433),
    varDir: VAR_DIR,
  };
}

/**
 * The server's internal ports, derived from the frontend's so one option moves them all:
 * frontend gRPC/membership/HTTP, then history, matching and worker gRPC + membership.
 */
export function servicePorts(frontendPort: number) {
  const p = frontendPort;
  return {
    frontend: { grpc: p, membership: p + 1, http: p + 2 },
    history: { grpc: p + 3, membership: p + 4 },
    matching: { grpc: p + 5, membership: p + 6 },
    worker: { grpc: p + 7, membership: p + 8 },
  };
}

export function cacheDir(): string {
  return resolve(
    process.env.AUTOCODE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'autocode'),
  );
}

export function clusterBinaries() {
  const server = join(cacheDir(), 'temporal-server', VERSIONS.temporal_server);
  return {
    server: join(server, 'bin', 'server'),
    sqlTool: join(server, 'bin', 'sql'),
    schema: join(server, 'schema', 'postgresql', 'v12'),
    ui: join(cacheDir(), 'temporal-ui', VERSIONS.ui_server, 'bin', 'server'),
  };
}

export function clusterFiles(varDir: string) {
  const dir = join(varDir, 'cluster');
  return {
    dir,
    pgData: join(dir, 'pg'),
    pgLog: join(dir, 'logs', 'postgres.log'),
    serverConfig: join(dir, 'temporal.yaml'),
    dynamicConfig: join(dir, 'dynamicconfig.yaml'),
    uiConfigDir: join(dir, 'ui'),
    secrets: join(dir, 'secrets.json'),
    logs: join(dir, 'logs'),
    serverLog: join(dir, 'logs', 'temporal.log'),
    uiLog: join(dir, 'logs', 'ui.log'),
    run: join(dir, 'run'),
    state: join(dir, 'run', 'cluster.json'),
  };
}

/** Debian's PostgreSQL binaries (/usr/lib/postgresql/<major>/bin), newest major first. */
export function pgBinDir(): string | undefined {
  if (process.env.AUTOCODE_PG_BIN) return process.env.AUTOCODE_PG_BIN;
  let majors: string[];
  try {
    majors = readdirSync('/usr/lib/postgresql');
  } catch {
    return undefined;
  }
  const newest = majors.filter((m) => /^\d+$/.test(m)).sort((a, b) => Number(b) - Number(a))[0];
  return newest ? join('/usr/lib/postgresql', newest, 'bin') : undefined;
}

export const CLUSTER_INSTALL_HINT = 'bash infra/cluster/install.sh';
