// A pool of warm sandbox slots. Executions queue until a slot is idle; a slot whose zygote dies
// (crash, kill, stuck) is replaced, and the execution it was running reports the death as its error.
import { createHash } from 'node:crypto';
import { launchSpec, sandboxInfo } from './isolation';
import { Slot } from './slot';
import { DEFAULTS, type ExecResult, type SandboxInfo, type SandboxOptions } from './types';

/** Consecutive failed slot starts after which the pool gives up (bubblewrap broke, disk full...). */
const MAX_START_FAILURES = 3;

interface Job {
  code: string;
  resolve(r: ExecResult): void;
  reject(e: Error): void;
}

export function resolveOptions(opts: SandboxOptions = {}): Required<SandboxOptions> {
  const o = { ...DEFAULTS };
  for (const [key, value] of Object.entries(opts) as [keyof SandboxOptions, unknown][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULTS)) throw new Error(`sandbox option ${key} is unknown`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new Error(`sandbox option ${key}=${String(value)} must be a positive integer`);
    }
    o[key] = value;
  }
  return o;
}

export class SandboxPool {
  private readonly slots = new Set<Slot>();
  private readonly idle: Slot[] = [];
  private readonly queue: Job[] = [];
  private closed = false;
  private startFailures = 0;
  private broken: Error | undefined;
  /** The version of every slot started so far (normally one: replacements run the same). */
  private readonly slotVersions = new Set<string>();

  private constructor(readonly options: Required<SandboxOptions>) {}

  static async start(opts?: SandboxOptions): Promise<SandboxPool> {
    const pool = new SandboxPool(resolveOptions(opts));
    sandboxInfo(); // probe (and warn about the fallback) before the first slot starts
    try {
      await Promise.all(Array.from({ length: pool.options.size }, () => pool.addSlot()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Runs `code` in a fresh process of a warm slot. Never rejects for anything the code does. */
  run(code: string): Promise<ExecResult> {
    if (typeof code !== 'string') return Promise.reject(new TypeError('sandbox: code must be a string'));
    if (this.closed) return Promise.reject(new Error('sandbox: the pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<ExecResult>((resolve, reject) => {
      this.queue.push({ code, resolve, reject });
      this.dispatch();
    });
  }

  info(): SandboxInfo {
    return sandboxInfo();
  }

  /**
   * Names the sandbox's behaviour apart from the limits (`options`): the zygote's source, flags and
   * environment, the isolation, and the interpreter and library versions the slots reported. A
   * replacement slot that runs something else (the venv changed under the worker) changes it.
   */
  get version(): string {
    const all = [...this.slotVersions].sort();
    return all.length === 1 ? (all[0] as string) : sha256(all.join('\n'));
  }

  /** Live slots (for tests and diagnostics). */
  get size(): number {
    return this.slots.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('sandbox: the pool was closed'));
    await Promise.all([...this.slots].map((s) => s.close()));
    this.slots.clear();
    this.idle.length = 0;
  }

  private async addSlot(): Promise<void> {
    const slot = await Slot.start(launchSpec(this.options), this.options.timeoutMs);
    if (this.closed) {
      await slot.close();
      return;
    }
    slot.onExit = () => this.onSlotExit(slot);
    this.slotVersions.add(sha256(`${slot.spec.behaviour}\n${JSON.stringify(slot.runtime)}`));
    this.slots.add(slot);
    this.idle.push(slot);
    this.dispatch();
  }

  private onSlotExit(slot: Slot): void {
    this.slots.delete(slot);
    const at = this.idle.indexOf(slot);
    if (at >= 0) this.idle.splice(at, 1);
    if (!this.closed) this.replace();
  }

  private replace(): void {
    this.addSlot().then(
      () => {
        this.startFailures = 0;
      },
      (err: Error) => {
        if (this.closed) return;
        this.startFailures += 1;
        if (this.startFailures < MAX_START_FAILURES) return this.replace();
        this.broken = new Error(`sandbox: cannot start workers any more: ${err.message}`);
        if (this.slots.size === 0) for (const job of this.queue.splice(0)) job.reject(this.broken);
      },
    );
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const slot = this.idle.pop() as Slot;
      const job = this.queue.shift() as Job;
      slot.run(job.code).then((result) => {
        if (result === null) {
          // The slot died before the code started (its exit is being handled): run it elsewhere.
          if (this.closed) job.reject(new Error('sandbox: the pool was closed'));
          else if (this.broken) job.reject(this.broken);
          else this.queue.unshift(job);
        } else job.resolve(result);
        if (slot.alive && !this.closed) {
          this.idle.push(slot);
          this.dispatch();
        }
      });
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
