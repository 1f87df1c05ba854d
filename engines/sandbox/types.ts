/** What one execution of model-written Python returns (the tool loop's view of the sandbox). */
export interface ExecResult {
  /** Captured stdout (never stderr, as in the ToRA / Qwen2.5-Math harnesses); cut at the cap. */
  stdout: string;
  /** Last line of the traceback (e.g. "NameError: name 'x' is not defined"), "Timeout Error", or null. */
  error: string | null;
  timed_out: boolean;
  duration_ms: number;
  /** stdout hit the output cap: it ends with a truncation marker and the execution was stopped. */
  truncated: boolean;
}

export interface SandboxOptions {
  /** Pool slots (warm zygotes); each runs one execution at a time. Default 2. */
  size?: number;
  /** Wall timeout per execution. Default 5000 (the authors' 5 s). */
  timeoutMs?: number;
  /** Address-space limit per execution process (RLIMIT_AS). Default 2048. */
  memoryMb?: number;
  /** stdout bytes kept per execution; beyond it the execution is stopped. Default 65536. */
  outputLimitBytes?: number;
  /** Processes and threads the code may run at once (RLIMIT_NPROC). Default 16. */
  maxProcesses?: number;
  /** Largest file the code may write (RLIMIT_FSIZE), MiB. Default 16. */
  fileSizeMb?: number;
  /** Size of the private /tmp (tmpfs), MiB. Default 64. */
  tmpSizeMb?: number;
}

/**
 * How the pool treats runaways: while a slot's execution is past `runawayFraction` of its
 * timeout, one of `spareSlots` extra warm slots takes queued work, so a runaway does not hold up
 * the executions waiting behind it. Spares start the first time work has to wait for a slot, and
 * stay warm from then on. Not part of `SandboxOptions`: they change no execution's result.
 */
export interface PoolSettings {
  /** Extra slots that only run work while a slot is past the fraction. Default 1; 0 disables. */
  spareSlots?: number;
  /** Default 0.5. */
  runawayFraction?: number;
}

export const POOL_DEFAULTS: Required<PoolSettings> = { spareSlots: 1, runawayFraction: 0.5 };

/**
 * Where one execution's time went (`SandboxPool.runTraced`): each step's time in ms since the
 * call (`submitted`). Node's steps: dispatched (a slot taken), written (request on the zygote's
 * stdin), parsed (answer read). The zygote's (`zygote.*`): after the previous answer, answered,
 * reaped, swept, cleaned (that execution gone, /tmp empty), ready (the next child forked); then
 * recv, written (program handed to the waiting child), user_start, user_end (in the child), done
 * (record or exit seen), sent.
 */
export type ExecTrace = Record<string, number>;

export interface TracedExecResult extends ExecResult {
  trace: ExecTrace;
}

export type Isolation = 'bubblewrap' | 'fallback';

export interface SandboxInfo {
  isolation: Isolation;
  /** Why the fallback is in use, or how bubblewrap runs (root: uid drop; user: user namespace). */
  detail: string;
  python: string;
}

export const DEFAULTS: Required<SandboxOptions> = {
  size: 2,
  timeoutMs: 5000,
  memoryMb: 2048,
  outputLimitBytes: 65536,
  maxProcesses: 16,
  fileSizeMb: 16,
  tmpSizeMb: 64,
};
