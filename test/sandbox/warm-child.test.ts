// The warm child (forked before its program arrives) and the runaway spare: on one slot, an
// execution sees nothing of the one before it and runs under every limit; the trace's steps come
// in order; a runaway does not hold up the snippets queued behind it while a spare is warm.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../../engines/sandbox/index';
import { CLEAN_PROBE_OUTPUT, childPids, PROBE } from './helpers';

/** [pid, ppid, state] of every host process. */
function processes(): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push([Number(entry), Number(ppid), state as string]);
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/** The child a slot's zygote keeps waiting for the next program (bwrap → init → zygote → it). */
async function waitingChild(slotPid: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const ps = processes();
    const childrenOf = (pid: number) => ps.filter(([, ppid]) => ppid === pid);
    const [init] = childrenOf(slotPid);
    const [zygote] = init ? childrenOf(init[0]) : [];
    const waiting = zygote ? childrenOf(zygote[0]) : [];
    // Alone and asleep (blocked on its program pipe): the previous child is reaped.
    if (waiting.length === 1 && waiting[0]?.[2] === 'S') return waiting[0][0];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no waiting child found');
}

const OPTS = { size: 1, timeoutMs: 3000, memoryMb: 768, maxProcesses: 12, fileSizeMb: 4, tmpSizeMb: 16 };

/** What a program can observe of the process it starts in; printed before and after a mutator. */
const OBSERVE = [
  'import os, sys, math, signal, resource, threading, fractions',
  "print('secret' in globals(), getattr(sys, 'planted', None), math.pi, fractions.Fraction(1, 3))",
  "print(os.environ.get('PLANTED'), os.getcwd(), sorted(os.listdir('/tmp')), sorted(os.listdir('.')))",
  'old = os.umask(0o22); print(oct(old), resource.getrlimit(resource.RLIMIT_NOFILE), sys.getrecursionlimit())',
  'print(signal.getsignal(signal.SIGTERM), threading.active_count(), len(sys.modules))',
].join('\n');

/** Changes everything OBSERVE looks at, and leaves a thread, a child and a daemon running. */
const MUTATE = [
  'import os, sys, math, signal, resource, threading, time, fractions',
  'secret = 42',
  'sys.planted = "x"',
  'math.pi = 3',
  'fractions.Fraction = int',
  "os.environ['PLANTED'] = 'yes'",
  "open('/tmp/run/left', 'w').write('x')",
  "open('/tmp/left', 'w').write('x')",
  "os.makedirs('/tmp/run/d/e')",
  "os.chmod('/tmp/run/d', 0)",
  "os.chdir('/tmp')",
  'os.umask(0)',
  'resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))',
  'sys.setrecursionlimit(77)',
  'signal.signal(signal.SIGTERM, signal.SIG_IGN)',
  'import json, decimal',
  'threading.Thread(target=time.sleep, args=(60,), daemon=True).start()',
  'if os.fork() == 0:',
  '    time.sleep(60)',
  'if os.fork() == 0:',
  '    os.setsid()',
  '    time.sleep(60)',
  "print('mutated')",
].join('\n');

describe('a slot between executions', () => {
  let pool: SandboxPool;
  beforeAll(async () => {
    pool = await SandboxPool.start(OPTS, { spareSlots: 0 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('gives the next execution on the same slot nothing of the previous one', async () => {
    const fresh = await pool.run(OBSERVE);
    expect(fresh.error).toBeNull();
    expect(fresh.stdout).toContain("False None 3.141592653589793 1/3\nNone /tmp/run ['run'] []\n");
    // The second time the mutator ends without the child's record (os._exit), the third killed
    // by a signal of its own: each way of ending is followed by the same clean-up.
    const endings = ['', '\nos._exit(0)', '\nos.kill(os.getpid(), signal.SIGSEGV)'];
    for (const ending of endings) {
      expect((await pool.run(MUTATE + ending)).stdout).toBe('mutated\n');
      expect((await pool.run(OBSERVE)).stdout).toBe(fresh.stdout);
      expect((await pool.run(PROBE)).stdout.trim()).toBe(CLEAN_PROBE_OUTPUT);
    }
  });

  it('runs every program under the limits and the unprivileged uid', async () => {
    const r = await pool.run(
      [
        'import os, resource as r',
        'names = ["RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE"]',
        'print([r.getrlimit(getattr(r, n)) for n in names])',
        'print(os.getuid() == os.geteuid() != 0, os.getgroups(), os.getpgrp() == os.getpid())',
      ].join('\n'),
    );
    const mb = 1024 * 1024;
    expect(r.stdout).toBe(
      `[(${OPTS.memoryMb * mb}, ${OPTS.memoryMb * mb}), (4, 5), (${OPTS.maxProcesses}, ${OPTS.maxProcesses}), ` +
        `(${OPTS.fileSizeMb * mb}, ${OPTS.fileSizeMb * mb}), (256, 256), (0, 0)]\nTrue [] True\n`,
    );
  });

  it('still enforces the timeout, the memory limit and the output cap', async () => {
    const loop = await pool.run('while True:\n    pass');
    expect(loop).toMatchObject({ timed_out: true, error: 'Timeout Error' });
    expect(loop.duration_ms).toBeGreaterThanOrEqual(OPTS.timeoutMs);
    expect((await pool.run('x = bytearray(2 * 1024 ** 3)')).error).toBe('MemoryError');
    const big = await pool.run("print('y' * 200_000)");
    expect(big).toMatchObject({ truncated: true, error: 'OutputLimitError: output exceeded 65536 bytes' });
    expect((await pool.run('print(7)')).stdout).toBe('7\n');
  });

  it('gives the program a fresh child when the waiting one was killed from outside', async () => {
    expect((await pool.run('print(1)')).stdout).toBe('1\n');
    const slots = childPids('bwrap');
    expect(slots).toHaveLength(1);
    const waiting = await waitingChild(slots[0] as number);
    expect(readFileSync(`/proc/${waiting}/stat`, 'utf8')).toContain('(python');
    process.kill(waiting, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await pool.run('print(2)')).toMatchObject({ stdout: '2\n', error: null });
    expect(pool.size).toBe(1);
  });

  it('reports where the time went, each step after the one before', async () => {
    const { trace, ...result } = await pool.runTraced('print(sum(range(10)))');
    expect(result.stdout).toBe('45\n');
    const order = [
      'submitted',
      'dispatched',
      'written',
      'zygote.recv',
      'zygote.written',
      'zygote.user_start',
      'zygote.user_end',
      'zygote.done',
      'zygote.sent',
      'parsed',
    ];
    const at = order.map((step) => trace[step]);
    expect(at.every((t) => typeof t === 'number')).toBe(true);
    for (let i = 1; i < at.length; i++) expect(at[i] as number).toBeGreaterThanOrEqual(at[i - 1] as number);
    // The previous execution was settled (reaped, /tmp emptied) and the child forked before this one.
    expect(trace['zygote.ready'] as number).toBeLessThanOrEqual(trace['zygote.written'] as number);
  });
});

/** Starts a runaway, then quick snippets while it runs; the order in which they resolve. */
async function runawayThenQuick(pool: SandboxPool, quick: number): Promise<string[]> {
  const order: string[] = [];
  const runaway = pool.run('while True:\n    pass').then((r) => {
    order.push(r.timed_out ? 'runaway' : `runaway? ${r.error}`);
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const rest = Array.from({ length: quick }, (_, i) =>
    pool.run(`print(${i})`).then((r) => {
      order.push(r.stdout === `${i}\n` ? 'quick' : `quick? ${r.stdout}${r.error}`);
    }),
  );
  await Promise.all([runaway, ...rest]);
  return order;
}

describe('a runaway with work queued behind it', () => {
  it('does not stall the queue while a spare slot is warm', async () => {
    const pool = await SandboxPool.start({ size: 1, timeoutMs: 4000 }, { spareSlots: 1 });
    try {
      // Work that has to wait starts the spare; wait until it is warm (bounded: a cold start).
      await Promise.all([pool.run('print(1)'), pool.run('print(2)')]);
      for (let i = 0; i < 1200 && pool.size < 2; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pool.size).toBe(2);
      // Queued behind the runaway, the quick ones run on the spare once the runaway is past half
      // its timeout: they all finish before the runaway's timeout ends it.
      expect(await runawayThenQuick(pool, 4)).toEqual(['quick', 'quick', 'quick', 'quick', 'runaway']);
      expect(pool.size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('holds the queue for the whole timeout without a spare', async () => {
    const pool = await SandboxPool.start({ size: 1, timeoutMs: 2000 }, { spareSlots: 0 });
    try {
      expect(await runawayThenQuick(pool, 2)).toEqual(['runaway', 'quick', 'quick']);
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
