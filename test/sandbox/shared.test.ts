import { afterAll, describe, expect, it } from 'vitest';
import { closeSharedSandboxPool, sharedSandboxPool } from '../../engines/sandbox/index';

describe('sharedSandboxPool', () => {
  afterAll(closeSharedSandboxPool);

  it('hands every caller the same pool until it is closed, then starts a new one', async () => {
    const [a, b] = await Promise.all([sharedSandboxPool({ size: 1 }), sharedSandboxPool({ size: 1 })]);
    expect(a).toBe(b);
    expect((await a.run('print(1)')).stdout).toBe('1\n');
    await closeSharedSandboxPool();
    await expect(a.run('print(1)')).rejects.toThrow('sandbox: the pool is closed');
    const c = await sharedSandboxPool({ size: 1 });
    expect(c).not.toBe(a);
    expect((await c.run('print(2)')).stdout).toBe('2\n');
  });
});
