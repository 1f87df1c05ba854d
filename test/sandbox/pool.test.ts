// What the tool loop relies on: harness-style capture and errors, a fresh state per execution,
// parallel slots, and slots replaced when their process dies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, resolvePoolSettings, SandboxPool } from '../../engines/sandbox/index';
import { CLEAN_PROBE_OUTPUT, childPids, PROBE } from './helpers';

describe('SandboxPool', () => {
  let pool: SandboxPool;
  beforeAll(async () => {
    // No runaway spare: the slot-process checks below count exactly `size` bwrap children.
    pool = await SandboxPool.start({ size: 2, timeoutMs: 3000 }, { spareSlots: 0 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('captures stdout and, like the ToRA/Qwen harness, does not echo a trailing expression', async () => {
    const r = await pool.run('import sympy as sp\nx = sp.symbols("x")\nprint(sp.solve(x**2 - 4, x))\nx + 1');
    expect(r).toMatchObject({ stdout: '[-2, 2]\n', error: null, timed_out: false, truncated: false });
    expect(r.duration_ms).toBeGreaterThan(0);
    expect((await pool.run('6 * 7')).stdout).toBe('');
  });

  it('reports the last traceback line and keeps the output printed before the error', async () => {
    expect((await pool.run('print(y)')).error).toBe("NameError: name 'y' is not defined");
    expect((await pool.run('def f(:\n  pass')).error).toBe('SyntaxError: invalid syntax');
    const r = await pool.run('print("partial")\n1 / 0');
    expect(r).toMatchObject({ stdout: 'partial\n', error: 'ZeroDivisionError: division by zero' });
    expect((await pool.run('import sys\nsys.exit(3)')).error).toBe('SystemExit: 3');
    expect((await pool.run('import sys\nprint(1)\nsys.exit(0)')).error).toBeNull();
    expect((await pool.run('input()')).error).toBe('EOFError: EOF when reading a line');
  });

  it('gives every execution a fresh state: globals, modules, files', async () => {
    await pool.run(
      'import sys, math\nsecret = 1\nsys.modules["math"].pi = 3\nopen("/tmp/run/f", "w").write("x")',
    );
    // Both slots, so the check cannot land on the slot that did not run the writer.
    const [a, b] = await Promise.all([
      pool.run('import math\nprint(math.pi, "secret" in globals())'),
      pool.run('import math\nprint(math.pi, "secret" in globals())'),
    ]);
    expect([a.stdout, b.stdout]).toEqual(['3.141592653589793 False\n', '3.141592653589793 False\n']);
    const probes = await Promise.all([pool.run(PROBE), pool.run(PROBE)]);
    expect(probes.map((r) => r.stdout.trim())).toEqual([CLEAN_PROBE_OUTPUT, CLEAN_PROBE_OUTPUT]);
  });

  it('runs one execution per slot at the same time', async () => {
    const t0 = performance.now();
    const rs = await Promise.all([
      pool.run('import time\ntime.sleep(1.5)'),
      pool.run('import time\ntime.sleep(1.5)'),
    ]);
    expect(rs.every((r) => r.error === null)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2900); // one after the other would take >= 3 s
  });

  it('replaces a slot whose process dies and reports the death to the execution it ran', async () => {
    const before = childPids('bwrap');
    expect(before).toHaveLength(2);
    const running = pool.run('import time\ntime.sleep(2.5)\nprint("finished")');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const pid of before) process.kill(pid, 'SIGKILL');
    const r = await running;
    expect(r.error).toBe('SandboxError: the sandbox process died during this execution');
    expect(r.stdout).toBe('');
    // Queued work waits for the replacements and then runs.
    const after = await Promise.all([pool.run('print(1)'), pool.run('print(2)'), pool.run('print(3)')]);
    expect(after.map((x) => x.stdout)).toEqual(['1\n', '2\n', '3\n']);
    // The second replacement may still be importing sympy: wait for it, bounded.
    for (let i = 0; i < 600 && pool.size < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pool.size).toBe(2);
    const now = childPids('bwrap');
    expect(now).toHaveLength(2);
    expect(now.some((pid) => before.includes(pid))).toBe(false);
  });

  it('rejects bad options by name and refuses work once closed', async () => {
    expect(() => resolveOptions({ size: 0 })).toThrow('sandbox option size=0 must be a positive integer');
    expect(() => resolveOptions({ timeoutMs: 1.5 })).toThrow(/timeoutMs/);
    expect(() => resolveOptions({ bogus: 1 } as never)).toThrow('sandbox option bogus is unknown');
    expect(resolvePoolSettings()).toEqual({ spareSlots: 1, runawayFraction: 0.5 });
    expect(resolvePoolSettings({ spareSlots: 0 }).spareSlots).toBe(0);
    expect(() => resolvePoolSettings({ spareSlots: -1 })).toThrow(/spareSlots=-1/);
    expect(() => resolvePoolSettings({ runawayFraction: 0 })).toThrow(/runawayFraction=0/);
    const small = await SandboxPool.start({ size: 1 });
    await small.close();
    await expect(small.run('print(1)')).rejects.toThrow('sandbox: the pool is closed');
    expect(childPids('bwrap')).toHaveLength(2); // only the main pool's slots remain
  });
});
