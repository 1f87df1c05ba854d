// The weaker fallback (no bubblewrap): announced loudly, and still runs code with a timeout.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

process.env.AUTOCODE_SANDBOX = 'fallback';
const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
const { SandboxPool, sandboxInfo } = await import('../../engines/sandbox/index');

describe('sandbox fallback', () => {
  let pool: Awaited<ReturnType<typeof SandboxPool.start>>;
  beforeAll(async () => {
    pool = await SandboxPool.start({ size: 1, timeoutMs: 1500 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('says so loudly and in sandboxInfo()', () => {
    expect(sandboxInfo()).toMatchObject({
      isolation: 'fallback',
      detail: expect.stringContaining('AUTOCODE_SANDBOX'),
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('WEAKER FALLBACK IN USE');
  });

  it('runs code with the same capture, errors and timeout', async () => {
    expect(await pool.run('import sympy\nprint(sympy.Rational(1, 3) + 1)')).toMatchObject({
      stdout: '4/3\n',
      error: null,
    });
    expect((await pool.run('print(z)')).error).toBe("NameError: name 'z' is not defined");
    const r = await pool.run('while True:\n    pass');
    expect(r).toMatchObject({ timed_out: true, error: 'Timeout Error' });
    expect((await pool.run('import os\nprint(os.environ.get("AUTOCODE_SANDBOX"))')).stdout).toBe('None\n');
  });
});
