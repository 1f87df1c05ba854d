// One pool slot: a zygote process (inside bubblewrap or the fallback) spoken to over
// newline-delimited JSON on its stdin/stdout. One execution at a time.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { LaunchSpec } from './isolation';
import type { ExecResult, ExecTrace } from './types';

/** How long a cold zygote may take to import sympy/numpy on a loaded machine. */
const READY_TIMEOUT_MS = 120_000;
/** Extra time the pool grants the zygote's own timeout before it kills the whole slot. */
const BACKUP_GRACE_MS = 5_000;
const STDERR_KEEP = 4096;

interface Pending {
  id: number;
  /** The zygote acknowledged the request: the code may have run. */
  acked: boolean;
  /** null: the slot died before the code started, so running it elsewhere is safe. */
  resolve(r: ExecResult | null): void;
  timer: NodeJS.Timeout;
  started: number;
  /** Set when the caller asked where the time went: the Node-side steps so far (ns). */
  trace: Record<string, bigint> | undefined;
  /** The zygote's steps (ns), from its answer. */
  zygoteTrace?: Record<string, unknown>;
}

/** What a slot answers: the result, and where its time went when that was asked for. */
export interface SlotOutcome {
  result: ExecResult;
  trace?: ExecTrace;
}

export class Slot {
  private buffer = '';
  private stderrTail = '';
  private pending: Pending | undefined;
  private nextId = 1;
  private readyWaiter: { resolve(): void; reject(e: Error): void } | undefined;
  private exited = false;
  /** What the zygote said it runs (interpreter and library versions), from its ready message. */
  runtime: Record<string, unknown> = {};
  /** Called once when the process is gone (crash, kill, or close). */
  onExit: (() => void) | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly spec: LaunchSpec,
    private readonly timeoutMs: number,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP);
    });
    child.stdin.on('error', () => {}); // EPIPE when the zygote died; the exit handler reports it
    child.on('exit', (code, signal) => this.onProcessExit(code, signal));
    child.on('error', (err) => {
      this.stderrTail += `\n${err.message}`;
      this.onProcessExit(null, null);
    });
  }

  /** `onSpawn` sees the slot before it is ready (so that a closing pool can kill it). */
  static start(spec: LaunchSpec, timeoutMs: number, onSpawn?: (slot: Slot) => void): Promise<Slot> {
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: 'pipe' });
    const slot = new Slot(child, spec, timeoutMs);
    onSpawn?.(slot);
    return new Promise<Slot>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.kill();
        reject(new Error(`sandbox: the worker did not become ready in ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      slot.readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve(slot);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Resolves null when the slot died before the code started. `trace`: the outcome also says
   * where the time went (Node's steps from `trace`'s own, the zygote's from its answer).
   */
  run(code: string, trace?: Record<string, bigint>): Promise<SlotOutcome | null> {
    if (this.exited) return Promise.resolve(null);
    if (this.pending) throw new Error('sandbox slot is busy');
    const id = this.nextId++;
    return new Promise<SlotOutcome | null>((resolve) => {
      // The zygote enforces the timeout itself; this only fires if the zygote is stuck.
      const timer = setTimeout(() => {
        this.settle({ ...failure('Timeout Error', this.timeoutMs), timed_out: true });
        this.kill();
      }, this.timeoutMs + BACKUP_GRACE_MS);
      const pending: Pending = {
        id,
        acked: false,
        timer,
        started: performance.now(),
        trace,
        resolve: () => {},
      };
      pending.resolve = (result) => {
        if (result === null) return resolve(null);
        resolve(pending.trace ? { result, trace: traceOf(pending.trace, pending.zygoteTrace) } : { result });
      };
      this.pending = pending;
      if (trace) trace.dispatched = process.hrtime.bigint();
      this.child.stdin.write(`${JSON.stringify(trace ? { id, code, trace: true } : { id, code })}\n`);
      if (trace) trace.written = process.hrtime.bigint();
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Ends the zygote: EOF on its stdin, SIGKILL if it lingers. */
  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.kill(), 2000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin.end();
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.stderrTail += `\nunparsable message: ${line.slice(0, 200)}`;
      this.kill();
      return;
    }
    if (msg.ready === true) {
      if (typeof msg.runtime === 'object' && msg.runtime !== null) {
        this.runtime = msg.runtime as Record<string, unknown>;
      }
      this.readyWaiter?.resolve();
      this.readyWaiter = undefined;
      return;
    }
    if (this.pending && msg.started === this.pending.id) {
      this.pending.acked = true;
      return;
    }
    if (this.pending && msg.id === this.pending.id) {
      if (this.pending.trace) {
        this.pending.trace.parsed = process.hrtime.bigint();
        if (typeof msg.trace === 'object' && msg.trace !== null) {
          this.pending.zygoteTrace = msg.trace as Record<string, unknown>;
        }
      }
      this.settle({
        stdout: String(msg.stdout ?? ''),
        error: typeof msg.error === 'string' ? msg.error : null,
        timed_out: msg.timed_out === true,
        duration_ms: Number(msg.duration_ms ?? 0),
        truncated: msg.truncated === true,
      });
    }
  }

  private settle(result: ExecResult | null): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(result);
  }

  private onProcessExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.spec.cleanup();
    const why = `exit ${code ?? signal ?? 'unknown'}${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`;
    this.readyWaiter?.reject(new Error(`sandbox: the worker failed to start (${why})`));
    this.readyWaiter = undefined;
    if (this.pending?.acked) {
      const elapsed = performance.now() - this.pending.started;
      this.settle(failure('SandboxError: the sandbox process died during this execution', elapsed));
    } else this.settle(null);
    this.onExit?.();
  }
}

/** Every step in milliseconds since the first Node-side one (both sides read CLOCK_MONOTONIC). */
function traceOf(node: Record<string, bigint>, zygote: Record<string, unknown> | undefined): ExecTrace {
  const origin = node.submitted ?? node.dispatched ?? 0n;
  const steps: [string, bigint][] = Object.entries(node);
  for (const [step, ns] of Object.entries(zygote ?? {})) {
    if (typeof ns === 'number' && Number.isFinite(ns)) steps.push([`zygote.${step}`, BigInt(Math.round(ns))]);
  }
  const out: ExecTrace = {};
  for (const [step, ns] of steps.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))) {
    out[step] = Number(ns - origin) / 1e6;
  }
  return out;
}

function failure(error: string, durationMs: number): ExecResult {
  return { stdout: '', error, timed_out: false, duration_ms: durationMs, truncated: false };
}
