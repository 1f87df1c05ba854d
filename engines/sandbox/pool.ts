// A pool of warm sandbox slots. Executions queue until a slot is idle; a slot whose zygote dies
// (crash, kill, stuck) is replaced, and the execution it was running reports the death as its error.
// While an execution is past a fraction of its timeout (a likely runaway), a spare warm slot takes
// the work queued behind it, so one runaway does not stall the rest (bounded by `spareSlots`).
import { createHash } from 'node:crypto';
import { launchSpec, sandboxInfo } from './isolation';
import { Slot, type SlotOutcome } from './slot';
import {
  DEFAULTS,
  type ExecResult,
  POOL_DEFAULTS,
  type PoolSettings,
  type SandboxInfo,
  type SandboxOptions,
  type TracedExecResult,
} from './types';

/** Consecutive failed slot starts after which the pool gives up (bubblewrap broke, disk full...). */
const MAX_START_FAILURES = 3;

interface Job {
  code: string;
  /** Node-side steps (ns) when the caller asked where the time went. */
  trace: Record<string, bigint> | undefined;
  resolve(r: SlotOutcome): void;
  reject(e: Error): void;
}

interface Running {
  /** Fires at the runaway fraction of the timeout. */
  timer: NodeJS.Timeout;
  overdue: boolean;
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

export function resolvePoolSettings(settings: PoolSettings = {}): Required<PoolSettings> {
  const o = { ...POOL_DEFAULTS };
  const { spareSlots, runawayFraction } = settings;
  if (spareSlots !== undefined) {
    if (!Number.isInteger(spareSlots) || spareSlots < 0) {
      throw new Error(`sandbox setting spareSlots=${String(spareSlots)} must be a non-negative integer`);
    }
    o.spareSlots = spareSlots;
  }
  if (runawayFraction !== undefined) {
    if (typeof runawayFraction !== 'number' || !(runawayFraction > 0 && runawayFraction <= 1)) {
      throw new Error(`sandbox setting runawayFraction=${String(runawayFraction)} must be in (0, 1]`);
    }
    o.runawayFraction = runawayFraction;
  }
  return o;
}

export class SandboxPool {
  /** Ready slots, spares included. */
  private readonly slots = new Set<Slot>();
  /** Spawned, still importing. */
  private readonly starting = new Set<Slot>();
  private readonly idle: Slot[] = [];
  private readonly running = new Map<Slot, Running>();
  private readonly queue: Job[] = [];
  /** Running executions past the runaway fraction of their timeout. */
  private overdue = 0;
  /** Work has had to wait for a slot at least once: the spares are (being) started. */
  private sparesWanted = false;
  private closed = false;
  private startFailures = 0;
  private broken: Error | undefined;
  /** The version of every slot started so far (normally one: replacements run the same). */
  private readonly slotVersions = new Set<string>();

  private constructor(
    readonly options: Required<SandboxOptions>,
    readonly settings: Required<PoolSettings>,
  ) {}

  static async start(opts?: SandboxOptions, settings?: PoolSettings): Promise<SandboxPool> {
    const pool = new SandboxPool(resolveOptions(opts), resolvePoolSettings(settings));
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
    return this.enqueue(code, undefined).then((o) => o.result);
  }

  /** `run`, and where the time went (ExecTrace: Node's and the zygote's steps, ms since the call). */
  runTraced(code: string): Promise<TracedExecResult> {
    const trace = { submitted: process.hrtime.bigint() };
    return this.enqueue(code, trace).then((o) => ({ ...o.result, trace: o.trace ?? {} }));
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

  /** Live slots (for tests and diagnostics): `options.size`, plus the spares once started. */
  get size(): number {
    return this.slots.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('sandbox: the pool was closed'));
    for (const r of this.running.values()) clearTimeout(r.timer);
    for (const slot of this.starting) slot.kill();
    await Promise.all([...this.slots].map((s) => s.close()));
    this.slots.clear();
    this.idle.length = 0;
  }

  private enqueue(code: string, trace: Record<string, bigint> | undefined): Promise<SlotOutcome> {
    if (typeof code !== 'string') return Promise.reject(new TypeError('sandbox: code must be a string'));
    if (this.closed) return Promise.reject(new Error('sandbox: the pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<SlotOutcome>((resolve, reject) => {
      this.queue.push({ code, trace, resolve, reject });
      this.dispatch();
    });
  }

  /** Slots the pool keeps: its size, and the spares once work has waited. */
  private get target(): number {
    return this.options.size + (this.sparesWanted ? this.settings.spareSlots : 0);
  }

  /** Executions allowed at once: one per slot of `size`, plus one per runaway (up to the spares). */
  private get lanes(): number {
    return this.options.size + Math.min(this.settings.spareSlots, this.overdue);
  }

  private async addSlot(): Promise<void> {
    let spawned: Slot | undefined;
    try {
      const slot = await Slot.start(launchSpec(this.options), this.options.timeoutMs, (s) => {
        spawned = s;
        this.starting.add(s);
      });
      if (this.closed) {
        await slot.close();
        return;
      }
      slot.onExit = () => this.onSlotExit(slot);
      this.slotVersions.add(sha256(`${slot.spec.behaviour}\n${JSON.stringify(slot.runtime)}`));
      this.slots.add(slot);
      this.idle.push(slot);
    } finally {
      if (spawned) this.starting.delete(spawned);
    }
    this.dispatch();
  }

  private onSlotExit(slot: Slot): void {
    this.slots.delete(slot);
    const at = this.idle.indexOf(slot);
    if (at >= 0) this.idle.splice(at, 1);
    this.topUp();
  }

  /** Starts what the pool lacks (a dead slot's replacement, the spares). */
  private topUp(): void {
    if (this.closed || this.broken) return;
    const missing = this.target - this.slots.size - this.starting.size;
    for (let i = 0; i < missing; i++) this.startOne();
  }

  private startOne(): void {
    this.addSlot().then(
      () => {
        this.startFailures = 0;
      },
      (err: Error) => {
        if (this.closed) return;
        this.startFailures += 1;
        if (this.startFailures < MAX_START_FAILURES) return this.topUp();
        this.broken = new Error(`sandbox: cannot start workers any more: ${err.message}`);
        if (this.slots.size === 0) for (const job of this.queue.splice(0)) job.reject(this.broken);
      },
    );
  }

  private dispatch(): void {
    if (this.closed) return;
    if (
      !this.sparesWanted &&
      this.settings.spareSlots > 0 &&
      this.queue.length > 0 &&
      this.running.size >= this.options.size
    ) {
      // Work waits with every slot busy: this pool is used above its size, so a runaway would
      // stall it. Start the spares now, so that they are warm when one happens; they stay.
      this.sparesWanted = true;
      this.topUp();
    }
    while (this.queue.length > 0 && this.idle.length > 0 && this.running.size < this.lanes) {
      const slot = this.idle.pop() as Slot;
      const job = this.queue.shift() as Job;
      const timer = setTimeout(
        () => this.markOverdue(slot),
        this.settings.runawayFraction * this.options.timeoutMs,
      );
      timer.unref();
      this.running.set(slot, { timer, overdue: false });
      slot.run(job.code, job.trace).then((outcome) => {
        this.release(slot);
        if (outcome === null) {
          // The slot died before the code started (its exit is being handled): run it elsewhere.
          if (this.closed) job.reject(new Error('sandbox: the pool was closed'));
          else if (this.broken) job.reject(this.broken);
          else this.queue.unshift(job);
        } else job.resolve(outcome);
        if (slot.alive && !this.closed) this.idle.push(slot);
        this.dispatch();
      });
    }
  }

  private markOverdue(slot: Slot): void {
    const r = this.running.get(slot);
    if (!r || r.overdue) return;
    r.overdue = true;
    this.overdue += 1;
    this.dispatch(); // a spare may take what waits
  }

  private release(slot: Slot): void {
    const r = this.running.get(slot);
    if (!r) return;
    clearTimeout(r.timer);
    if (r.overdue) this.overdue -= 1;
    this.running.delete(slot);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
