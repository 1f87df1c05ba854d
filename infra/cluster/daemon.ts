// Background processes of the cluster (Temporal server, Web UI): started detached with a log and a
// pid file, so they outlive the `autocode cluster up` that started them; stopped by pid.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Daemon {
  name: string;
  command: string;
  args: string[];
  log: string;
  pidFile: string;
  cwd?: string;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The daemon's pid if its pid file names a live process running its command (not a reused pid). */
export function daemonPid(d: Pick<Daemon, 'command' | 'pidFile'>): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(d.pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  return pid > 0 && cmdline(pid).startsWith(d.command) ? pid : null;
}

export function startDaemon(d: Daemon): number {
  const running = daemonPid(d);
  if (running) return running;
  mkdirSync(dirname(d.log), { recursive: true });
  mkdirSync(dirname(d.pidFile), { recursive: true });
  const fd = openSync(d.log, 'a');
  const child = spawn(d.command, d.args, {
    cwd: d.cwd ?? dirname(d.log),
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  child.unref();
  if (!child.pid) throw new Error(`${d.name} did not start (${d.command})`);
  writeFileSync(d.pidFile, `${child.pid}\n`);
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopDaemon(d: Pick<Daemon, 'command' | 'pidFile'>, graceMs = 15_000): Promise<void> {
  const pid = daemonPid(d);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (daemonPid(d) === pid && Date.now() < deadline) await sleep(100);
    if (daemonPid(d) === pid) process.kill(pid, 'SIGKILL');
    while (daemonPid(d) === pid) await sleep(50);
  }
  rmSync(d.pidFile, { force: true });
}

export function logTail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export const pidFileIn = (runDir: string, name: string) => join(runDir, `${name}.pid`);
