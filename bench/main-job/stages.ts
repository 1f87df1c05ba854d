// The stack's start-up stages from the step stamps of run-main-job.sh, var/run/stack.json and the
// worker logs; and interval arithmetic for the profile.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Stamp {
  step: string;
  event: 'start' | 'end';
  t_ms: number;
}

export interface StackStage {
  stage: string;
  start: number | null;
  end: number | null;
  note?: string;
}

export type Interval = [number, number];

/** Total length of the union of intervals (ms). */
export function union(intervals: readonly Interval[]): number {
  const sorted = [...intervals].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cur: Interval | null = null;
  for (const [a, b] of sorted) {
    if (cur === null || a > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [a, b];
    } else cur[1] = Math.max(cur[1], b);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}

const at = (stamps: readonly Stamp[], step: string, event: 'start' | 'end') =>
  stamps.find((s) => s.step === step && s.event === event)?.t_ms ?? null;

/** The first ISO (TS worker) or "YYYY-MM-DD HH:MM:SS,mmm" (Python logging, UTC) time on a matching line. */
export function logTime(text: string, pattern: RegExp): number | null {
  for (const line of text.split('\n')) {
    if (!pattern.test(line)) continue;
    const iso = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z)/.exec(line);
    if (iso) return Date.parse(iso[1] as string);
    const py = /(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3})/.exec(line);
    if (py) return Date.parse(`${py[1]}T${py[2]}.${py[3]}Z`);
  }
  return null;
}

function isRestarted(stackFile: string, runStart: number): boolean {
  const startedAt = (JSON.parse(readFileSync(stackFile, 'utf8')) as { started_at?: string }).started_at;
  return startedAt !== undefined && Date.parse(startedAt) > runStart;
}

const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');

/** `runStart`: the run's start; a stack.json from a later start-up describes another start-up. */
export function stackTimes(stamps: readonly Stamp[], varDir: string, runStart: number): StackStage[] {
  const out: StackStage[] = [];
  const installStart = at(stamps, 'install', 'start');
  if (installStart !== null) {
    out.push({ stage: 'install (infra/install.sh)', start: installStart, end: at(stamps, 'install', 'end') });
  }
  const upStart = at(stamps, 'up', 'start');
  const upEnd = at(stamps, 'up', 'end');
  const stackFile = join(varDir, 'run', 'stack.json');
  if (existsSync(stackFile) && !isRestarted(stackFile, runStart)) {
    const st = JSON.parse(readFileSync(stackFile, 'utf8')) as {
      started_at?: string;
      processes?: Record<string, { started_at?: string; restarts?: number }>;
    };
    const t = (s?: string) => (s ? Date.parse(s) : null);
    const p = st.processes ?? {};
    const server = t(p.temporal?.started_at);
    const cpu = t(p['worker-cpu']?.started_at);
    const gpu = t(p['worker-gpu']?.started_at);
    const cpuLog = read(join(varDir, 'logs', 'worker-cpu.log'));
    const gpuLog = read(join(varDir, 'logs', 'worker-gpu.log'));
    const bundled = logTime(cpuLog, /Workflow bundle created/);
    const running = logTime(cpuLog, /Worker state changed.*RUNNING/);
    const polling = logTime(gpuLog, /gpu worker polling/);
    const webpack = /compiled successfully in (\d+) ms/.exec(cpuLog)?.[1];
    const restarts = Object.values(p).reduce((n, x) => n + (x.restarts ?? 0), 0);
    out.push({ stage: 'up: CLI start → supervisor spawns the server', start: upStart, end: server });
    out.push({
      stage: 'up: temporal server start → workers spawned',
      start: server,
      end: Math.min(cpu ?? Infinity, gpu ?? Infinity),
    });
    out.push({
      stage: 'up: worker cpu start → workflow bundle built',
      start: cpu,
      end: bundled,
      note: webpack ? `webpack ${(Number(webpack) / 1000).toFixed(1)} s of it` : '',
    });
    out.push({ stage: 'up: worker cpu bundle → polling', start: bundled, end: running });
    out.push({ stage: 'up: worker gpu start → polling (torch import)', start: gpu, end: polling });
    out.push({
      stage: 'up: both polling → `up` returns',
      start: Math.max(running ?? 0, polling ?? 0) || null,
      end: upEnd,
      note: restarts ? `${restarts} restarts` : '',
    });
  } else if (existsSync(stackFile)) {
    // stack.json and the logs now describe a later start-up: profile a run before restarting its stack.
    out.push({ stage: 'up: per-process times unknown (stack restarted since)', start: null, end: null });
  }
  out.push({ stage: 'up (bin/autocode up --detach), all of it', start: upStart, end: upEnd });
  out.push({
    stage: 'smoke (bin/autocode smoke)',
    start: at(stamps, 'smoke', 'start'),
    end: at(stamps, 'smoke', 'end'),
  });
  return out;
}
