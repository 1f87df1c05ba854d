// The execution cache: K samples of one query often write the same program, so a deterministic
// program's result is kept and served again instead of re-running it (docs/sandbox.md, "Execution
// cache"). Keyed by sha256 of (the sandbox's version, every limit of the pool but its size, the exact
// program text the pool would run); bounded in entries and bytes, least recently used out first.
// Which programs and results qualify: determinism.ts. Two identical programs in flight at once run
// once: the second waits for the first's result.
//
// Scope: one cache per run (`executionCacheFor(run_id)`), in the worker's memory, shared by the
// run's rollouts nodes and iterations on that worker; a few runs' caches are kept, the least
// recently used dropped. Results never cross runs, nor pools with other limits or another sandbox.
import { createHash } from 'node:crypto';
import { resultVerdict, staticVerdict } from './determinism';
import type { ExecResult, SandboxOptions } from './types';

/** What the cache wraps: a SandboxPool, or anything that runs code under stated limits. */
export interface CacheablePool {
  run(code: string): Promise<ExecResult>;
  readonly options: Required<SandboxOptions>;
  /** Changes whenever the sandbox's behaviour could (SandboxPool.version). */
  readonly version: string;
}

export interface ExecutionCacheStats {
  /** Executions asked for: hits + misses + uncacheable. */
  executions: number;
  /** Served without running: a kept result, or the result of the same program in flight. */
  hits: number;
  /** Cacheable programs that ran (not_stored of them were not kept). */
  misses: number;
  /** Programs the static rule refused; they ran. */
  uncacheable: number;
  /** Misses whose result was not kept (timeout, memory, output cap, slow, an address printed). */
  not_stored: number;
  /** The original execution times of the hits: sandbox time not spent. */
  saved_ms: number;
  /** Sandbox time spent on the executions that ran. */
  sandbox_ms: number;
}

export interface CachedRunner {
  run(code: string): Promise<ExecResult>;
  /** This runner's own counts (one rollouts node, say); the cache's `totals` sum every runner's. */
  readonly stats: ExecutionCacheStats;
}

export interface ExecutionCacheLimits {
  maxEntries: number;
  /** Approximate: UTF-16 size of each kept stdout and error plus a fixed overhead per entry. */
  maxBytes: number;
}

export const CACHE_DEFAULTS: ExecutionCacheLimits = { maxEntries: 100_000, maxBytes: 32 * 1024 * 1024 };
/** Runs whose caches a worker keeps at once. */
export const MAX_CACHED_RUNS = 4;
const ENTRY_OVERHEAD = 256;

export const emptyStats = (): ExecutionCacheStats => ({
  executions: 0,
  hits: 0,
  misses: 0,
  uncacheable: 0,
  not_stored: 0,
  saved_ms: 0,
  sandbox_ms: 0,
});

interface Entry {
  result: ExecResult;
  bytes: number;
}

export class ExecutionCache {
  private readonly entries = new Map<string, Entry>();
  /** Resolves to the result once kept, or null when it was not (the waiter then runs its own). */
  private readonly inflight = new Map<string, Promise<ExecResult | null>>();
  private held = 0;
  readonly totals: ExecutionCacheStats = emptyStats();

  constructor(readonly limits: ExecutionCacheLimits = CACHE_DEFAULTS) {}

  /** A runner over `pool` through this cache, counting on its own. */
  runner(pool: CacheablePool): CachedRunner {
    const stats = emptyStats();
    return { stats, run: (code) => this.execute(pool, code, stats) };
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.held;
  }

  /** sha256 of what decides the result: the sandbox's version, its limits, the program. */
  keyOf(pool: CacheablePool, code: string): string {
    const { size: _size, ...limits } = pool.options;
    const sorted = Object.fromEntries(Object.entries(limits).sort(([a], [b]) => a.localeCompare(b)));
    return createHash('sha256')
      .update(JSON.stringify([pool.version, sorted, code]))
      .digest('hex');
  }

  private async execute(pool: CacheablePool, code: string, stats: ExecutionCacheStats): Promise<ExecResult> {
    if (typeof code !== 'string') return pool.run(code); // the pool rejects it
    const add = (field: keyof ExecutionCacheStats, n = 1) => {
      stats[field] += n;
      this.totals[field] += n;
    };
    add('executions');
    if (!staticVerdict(code).cacheable) {
      add('uncacheable');
      const r = await pool.run(code);
      add('sandbox_ms', r.duration_ms);
      return r;
    }
    const key = this.keyOf(pool, code);
    const kept = this.entries.get(key);
    if (kept) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, kept);
      add('hits');
      add('saved_ms', kept.result.duration_ms);
      return { ...kept.result };
    }
    const pending = this.inflight.get(key);
    if (pending) {
      const shared = await pending;
      if (shared) {
        add('hits');
        add('saved_ms', shared.duration_ms);
        return { ...shared };
      }
      // The first run's result was not kept (it timed out, say): one under other load might not
      // have, so this one runs on its own.
    }
    add('misses');
    let notKept: string | null = 'failed';
    const run = pool.run(code);
    const settled = run.then(
      (r) => {
        notKept = this.verdict(r, pool.options.timeoutMs);
        if (notKept !== null) return null;
        this.store(key, r);
        return r;
      },
      () => null,
    );
    if (!this.inflight.has(key)) {
      this.inflight.set(key, settled);
      void settled.then(() => {
        if (this.inflight.get(key) === settled) this.inflight.delete(key);
      });
    }
    const r = await run;
    await settled;
    add('sandbox_ms', r.duration_ms);
    if (notKept !== null) add('not_stored');
    return { ...r };
  }

  private verdict(r: ExecResult, timeoutMs: number): string | null {
    const why = resultVerdict(r, timeoutMs);
    if (why !== null) return why;
    return entryBytes(r) > this.limits.maxBytes ? 'bigger than the whole cache' : null;
  }

  private store(key: string, result: ExecResult): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.held -= old.bytes;
    }
    const bytes = entryBytes(result);
    this.entries.set(key, { result: { ...result }, bytes });
    this.held += bytes;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.held <= this.limits.maxBytes) break;
      this.entries.delete(k);
      this.held -= e.bytes;
    }
  }
}

function entryBytes(r: ExecResult): number {
  return ENTRY_OVERHEAD + 2 * (r.stdout.length + (r.error?.length ?? 0));
}

/** Counts executions without caching them (the cache turned off): executions and sandbox time. */
export function countingRunner(pool: { run(code: string): Promise<ExecResult> }): CachedRunner {
  const stats = emptyStats();
  return {
    stats,
    run: async (code) => {
      stats.executions++;
      const r = await pool.run(code);
      stats.sandbox_ms += r.duration_ms;
      return r;
    },
  };
}

const runs = new Map<string, ExecutionCache>();

/**
 * The cache of one run (scope: the run id) in this worker; the MAX_CACHED_RUNS most recently used
 * runs' caches are kept.
 */
export function executionCacheFor(scope: string, limits?: ExecutionCacheLimits): ExecutionCache {
  let cache = runs.get(scope);
  if (cache) runs.delete(scope);
  else cache = new ExecutionCache(limits);
  runs.set(scope, cache);
  for (const k of runs.keys()) {
    if (runs.size <= MAX_CACHED_RUNS) break;
    runs.delete(k);
  }
  return cache;
}

/** Forgets every run's cache (tests). */
export function clearExecutionCaches(): void {
  runs.clear();
}

/**
 * A node's figures: `exec_cache.*` (executions, hits, misses, uncacheable, not_stored, hit_rate =
 * hits / executions, saved_s, sandbox_s); with the cache off only executions and sandbox_s.
 */
export function executionCacheMetrics(stats: ExecutionCacheStats, enabled: boolean): Record<string, number> {
  const s = (ms: number) => Number((ms / 1000).toFixed(3));
  const base = { 'exec_cache.executions': stats.executions, 'exec_cache.sandbox_s': s(stats.sandbox_ms) };
  if (!enabled) return base;
  return {
    ...base,
    'exec_cache.hits': stats.hits,
    'exec_cache.misses': stats.misses,
    'exec_cache.uncacheable': stats.uncacheable,
    'exec_cache.not_stored': stats.not_stored,
    'exec_cache.hit_rate': stats.executions === 0 ? 0 : Number((stats.hits / stats.executions).toFixed(4)),
    'exec_cache.saved_s': s(stats.saved_ms),
  };
}
