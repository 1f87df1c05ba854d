// The local stack's state file (var/run/stack.json): what runs where, written by the supervisor,
// read by `autocode status` and `autocode down`.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PATHS } from './paths';

export type ProcessName = 'temporal' | 'worker-cpu' | 'worker-gpu';

export interface ProcessState {
  name: ProcessName;
  pid: number | null;
  command: string;
  log: string;
  restarts: number;
  started_at: string | null;
}

export interface StackState {
  state: 'starting' | 'ready' | 'failed' | 'stopping' | 'stopped';
  error?: string;
  supervisor_pid: number;
  temporal_address: string;
  ui_url: string;
  db_file: string;
  started_at: string;
  processes: Partial<Record<ProcessName, ProcessState>>;
}

export function readStackState(file = PATHS.stackState): StackState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function writeStackState(state: StackState, file = PATHS.stackState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

export function isAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
