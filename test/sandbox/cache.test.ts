// The execution cache (engines/sandbox/cache.ts): a served result is byte-identical to a fresh
// execution's tool output, programs that read time or randomness always run, identical programs in
// flight run once, and other limits or another sandbox never share an entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus } from '../../bench/sandbox/corpus';
import { tinyWorldDemonstrations } from '../../datasets/tiny-world/generate';
import { lastPythonBlock } from '../../engines/rollouts/code';
import { executorFrom } from '../../engines/rollouts/tools';
import {
  type CacheablePool,
  clearExecutionCaches,
  type ExecResult,
  ExecutionCache,
  executionCacheFor,
  formatToolOutput,
  MAX_CACHED_RUNS,
  resolveOptions,
  SandboxPool,
} from '../../engines/sandbox/index';

const TIMEOUT_MS = 2000;

/** Programs as rollouts write them: the bench corpus, the tiny world's, errors, sets and sympy. */
function realisticPrograms(): string[] {
  const tiny = tinyWorldDemonstrations({ seed: 4, per_family: 12 })
    .map((d) => lastPythonBlock(d.response_text))
    .filter((p): p is string => p !== null);
  return [
    ...corpus().map((s) => s.code), // includes one runaway loop (timed out: never kept)
    ...tiny,
    'print(y)',
    'def f(:\n  pass',
    'print("partial")\n1 / 0',
    'import math\nprint(math.sqrt(-1))',
    'print([1, 2][5])',
    // Orders that used to depend on the slot's hash seed: sets of strings, sympy's symbol sets.
    "print(set('abcdefgh'), {'apple', 'pear', 'fig'})",
    "from sympy import symbols\nx, y, z, a = symbols('x y z a')\nprint((x + y + z + a).free_symbols)",
    "from sympy import symbols, solve\nx, y, z = symbols('x y z')\nprint(solve([x + y - 3, x - y - 1, z - x], dict=True))",
    'from sympy import integrate, sin, exp, symbols\nx = symbols("x")\nprint(integrate(exp(x) * sin(x), x))',
    'import numpy as np\nprint(np.linalg.eigvals(np.array([[2.0, 1.0], [1.0, 3.0]])))',
    'print("\\n".join(str(i) * 300 for i in range(10)))', // longer than the tool output cut
    'print("é ü 中文 🙂")',
    'x = 0\nfor i in range(200000):\n    x += i * i\nprint(x)',
  ];
}

/** The text a rollout places in the output block, as bytes. */
const textOf = async (runner: { run(code: string): Promise<ExecResult> }, code: string) =>
  Buffer.from((await executorFrom(runner, formatToolOutput, 1024).execute(code)).text, 'utf8');

/** Counts the runs that reach the pool. */
function spy(pool: CacheablePool): CacheablePool & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: (code) => {
      calls.push(code);
      return pool.run(code);
    },
    get options() {
      return pool.options;
    },
    get version() {
      return pool.version;
    },
  };
}

describe('execution cache on the real sandbox', { timeout: 240_000 }, () => {
  let pool: SandboxPool;
  let other: SandboxPool;
  beforeAll(async () => {
    [pool, other] = await Promise.all([
      SandboxPool.start({ size: 2, timeoutMs: TIMEOUT_MS }),
      SandboxPool.start({ size: 1, timeoutMs: TIMEOUT_MS }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([pool?.close(), other?.close()]);
  });

  it('serves tool output byte-identical to a fresh execution, on every slot and in another pool', async () => {
    const programs = realisticPrograms();
    const cache = new ExecutionCache();
    const runner = cache.runner(pool);
    // Fresh on this pool's two slots and in another pool (other zygote processes), then through
    // the cache twice: the first pass runs and keeps, the second is served.
    const fresh = await Promise.all(programs.map((p) => textOf(pool, p)));
    const elsewhere = [];
    for (const p of programs) elsewhere.push(await textOf(other, p));
    const first = await Promise.all(programs.map((p) => textOf(runner, p)));
    const hitsBefore = runner.stats.hits;
    const served = await Promise.all(programs.map((p) => textOf(runner, p)));
    for (const [i, p] of programs.entries()) {
      expect(Buffer.compare(fresh[i] as Buffer, elsewhere[i] as Buffer), p).toBe(0);
      expect(Buffer.compare(fresh[i] as Buffer, first[i] as Buffer), p).toBe(0);
      expect(Buffer.compare(fresh[i] as Buffer, served[i] as Buffer), p).toBe(0);
    }
    const distinct = new Set(programs).size;
    const s = runner.stats;
    expect(s.executions).toBe(2 * programs.length);
    expect(s.uncacheable).toBe(0);
    // The first pass kept every distinct program but the runaway loop (and any that ran over half
    // the limit on this loaded machine); the second pass was served everything kept.
    expect(s.not_stored).toBeGreaterThanOrEqual(2);
    expect(cache.size).toBeGreaterThan(distinct - 5);
    expect(s.hits - hitsBefore).toBeGreaterThanOrEqual(cache.size);
    expect(s.hits + s.misses).toBe(s.executions);
    expect(s.saved_ms).toBeGreaterThan(0);
    expect(timedOut(fresh, programs)).toBe(1);
  });

  it('runs a program that reads the clock or randomness every time', async () => {
    const cache = new ExecutionCache();
    const counted = spy(pool);
    const runner = cache.runner(counted);
    const programs = [
      'import time\nprint(time.time())',
      'import random\nprint(random.random())',
      'import numpy as np\nprint(np.random.rand())',
      'import uuid\nprint(uuid.uuid4())',
    ];
    for (const p of programs) {
      const [a, b] = [await runner.run(p), await runner.run(p)];
      expect(a.error, p).toBeNull();
      expect(a.stdout, p).not.toBe(b.stdout); // both executed: two different readings
    }
    expect(counted.calls).toHaveLength(2 * programs.length);
    expect(runner.stats).toMatchObject({ executions: 8, uncacheable: 8, hits: 0, misses: 0 });
    expect(cache.size).toBe(0);
  });

  it('runs identical programs in flight once and hands every caller the same output', async () => {
    const cache = new ExecutionCache();
    const counted = spy(pool);
    const runner = cache.runner(counted);
    const code = 'x = 0\nfor i in range(300000):\n    x += i % 7\nprint(x)';
    const results = await Promise.all(Array.from({ length: 6 }, () => runner.run(code)));
    expect(counted.calls).toEqual([code]);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set(['899997\n']));
    expect(runner.stats).toMatchObject({ executions: 6, misses: 1, hits: 5 });
    expect(runner.stats.saved_ms).toBeCloseTo(5 * (results[0] as ExecResult).duration_ms, 3);
  });

  it('does not keep a result that prints an address, nor share a timed-out one', async () => {
    const cache = new ExecutionCache();
    const counted = spy(pool);
    const runner = cache.runner(counted);
    const repr = 'def f():\n    pass\nprint(f)';
    await runner.run(repr);
    await runner.run(repr);
    const loop = 'while True:\n    pass';
    const [a, b] = await Promise.all([runner.run(loop), runner.run(loop)]);
    expect([a.timed_out, b.timed_out]).toEqual([true, true]);
    // Each ran: a timeout under this load says nothing about a run under another.
    expect(counted.calls).toEqual([repr, repr, loop, loop]);
    expect(runner.stats).toMatchObject({ executions: 4, misses: 4, not_stored: 4, hits: 0 });
    expect(cache.size).toBe(0);
  });
});

function timedOut(texts: Buffer[], programs: string[]): number {
  return programs.filter((_, i) => (texts[i] as Buffer).toString() === 'Timeout Error').length;
}

/** A pool that answers from a table, with the limits and version it is given. */
function fakePool(over: Partial<ReturnType<typeof resolveOptions>> = {}, version = 'v1') {
  const calls: string[] = [];
  const options = { ...resolveOptions({ timeoutMs: 5000 }), ...over };
  const pool: CacheablePool & { calls: string[] } = {
    calls,
    options,
    version,
    run: async (code) => {
      calls.push(code);
      await new Promise((r) => setTimeout(r, 5));
      if (code.includes('MemoryError')) {
        return { stdout: '', error: 'MemoryError', timed_out: false, duration_ms: 40, truncated: false };
      }
      return { stdout: `${code}\n`, error: null, timed_out: false, duration_ms: 10, truncated: false };
    },
  };
  return pool;
}

describe('execution cache keys and bounds', () => {
  it('misses for other limits or another sandbox version, and ignores the pool size', async () => {
    const cache = new ExecutionCache();
    const base = fakePool();
    await cache.runner(base).run('print(1)');
    const variants = [
      fakePool({ timeoutMs: 1000 }),
      fakePool({ memoryMb: 512 }),
      fakePool({ outputLimitBytes: 1024 }),
      fakePool({ maxProcesses: 4 }),
      fakePool({ fileSizeMb: 1 }),
      fakePool({ tmpSizeMb: 8 }),
      fakePool({}, 'v2'),
    ];
    for (const v of variants) {
      const r = cache.runner(v);
      await r.run('print(1)');
      expect(r.stats, JSON.stringify(v.options)).toMatchObject({ misses: 1, hits: 0 });
      expect(v.calls).toHaveLength(1);
    }
    const bigger = fakePool({ size: 8 });
    const r = cache.runner(bigger);
    await r.run('print(1)');
    expect(r.stats).toMatchObject({ hits: 1, misses: 0 });
    expect(bigger.calls).toHaveLength(0);
    // The exact text is the key: one more space is another program.
    await r.run('print(1) ');
    expect(r.stats.misses).toBe(1);
  });

  it('keeps deterministic exceptions, never resource failures', async () => {
    const cache = new ExecutionCache();
    const pool = fakePool();
    const runner = cache.runner(pool);
    for (let i = 0; i < 2; i++) await runner.run('raise MemoryError');
    expect(pool.calls).toHaveLength(2);
    expect(runner.stats).toMatchObject({ misses: 2, not_stored: 2 });
  });

  it('evicts the least recently used entry beyond its entry and byte bounds', async () => {
    const cache = new ExecutionCache({ maxEntries: 2, maxBytes: 1 << 20 });
    const pool = fakePool();
    const runner = cache.runner(pool);
    for (const p of ['print(1)', 'print(2)', 'print(1)', 'print(3)']) await runner.run(p);
    // print(1) was used again after print(2): print(2) went out.
    await runner.run('print(1)');
    await runner.run('print(2)');
    expect(pool.calls).toEqual(['print(1)', 'print(2)', 'print(3)', 'print(2)']);
    expect(cache.size).toBe(2);

    const small = new ExecutionCache({ maxEntries: 100, maxBytes: 1200 });
    const r = small.runner(pool);
    for (let i = 0; i < 10; i++) await r.run(`print(${i})`);
    expect(small.bytes).toBeLessThanOrEqual(1200);
    expect(small.size).toBeLessThan(10);
  });

  it('scopes one cache per run and keeps the most recent runs only', () => {
    clearExecutionCaches();
    const a = executionCacheFor('run-a');
    expect(executionCacheFor('run-a')).toBe(a);
    expect(executionCacheFor('run-b')).not.toBe(a);
    for (let i = 0; i < MAX_CACHED_RUNS; i++) executionCacheFor(`other-${i}`);
    expect(executionCacheFor('run-a')).not.toBe(a);
    clearExecutionCaches();
  });
});
