// Hostile code, each case contained and reported as the execution's error while the pool keeps
// serving. Tight limits: the machine is shared.

import { existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecResult, SandboxPool, sandboxInfo } from '../../engines/sandbox/index';
import { ROOT } from '../../infra/paths';
import { CLEAN_PROBE_OUTPUT, PROBE } from './helpers';

const SECRET = `autocode-secret-${process.pid}-${Date.now()}`;
process.env.AUTOCODE_TEST_SECRET = SECRET; // the host environment the sandbox must not see

const OPTS = { size: 2, timeoutMs: 2000, memoryMb: 512, maxProcesses: 16, fileSizeMb: 8, tmpSizeMb: 24 };

describe('sandbox containment (bubblewrap)', () => {
  let pool: SandboxPool;
  let server: Server;
  let connections = 0;

  beforeAll(async () => {
    expect(sandboxInfo().isolation).toBe('bubblewrap'); // this host has bwrap: the tests need it
    // No runaway spare: every check below counts the pool's slots (spares: warm-child.test.ts).
    pool = await SandboxPool.start(OPTS, { spareSlots: 0 });
    server = createServer((_req, res) => res.end('reached')).on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await pool?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** After each hostile case: the pool still runs code, with every slot clean and none lost. */
  async function expectHealthy(): Promise<void> {
    const results = await Promise.all([pool.run(PROBE), pool.run(PROBE), pool.run('print(6 * 7)')]);
    expect(results.map((r) => r.stdout.trim())).toEqual([CLEAN_PROBE_OUTPUT, CLEAN_PROBE_OUTPUT, '42']);
    expect(pool.size).toBe(OPTS.size);
  }

  it('stops an infinite loop at the wall timeout', async () => {
    const r = await pool.run('while True:\n    pass');
    expect(r).toMatchObject({ timed_out: true, error: 'Timeout Error', truncated: false });
    expect(r.duration_ms).toBeGreaterThanOrEqual(OPTS.timeoutMs);
    expect(r.duration_ms).toBeLessThan(OPTS.timeoutMs + 1500);
    await expectHealthy();
  });

  it('caps the number of processes and kills a fork bomb with everything it spawned', async () => {
    const counted = await pool.run(
      [
        'import os, time',
        'n = 0',
        'try:',
        '    while True:',
        '        if os.fork() == 0:',
        '            time.sleep(60)',
        '            os._exit(0)',
        '        n += 1',
        'except OSError as e:',
        '    print(n, e.errno)',
      ].join('\n'),
    );
    const [forked, errno] = counted.stdout.trim().split(' ').map(Number);
    expect(errno).toBe(11); // EAGAIN: RLIMIT_NPROC
    expect(forked).toBeGreaterThan(0);
    expect(forked).toBeLessThan(OPTS.maxProcesses);
    const bomb = await pool.run(
      'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass',
    );
    expect(bomb.timed_out).toBe(true);
    // A daemon that leaves the process group is swept too.
    const daemon = await pool.run(
      'import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\nprint("parent done")',
    );
    expect(daemon.stdout).toBe('parent done\n');
    await expectHealthy();
  });

  it('turns a memory bomb into MemoryError', async () => {
    const big = await pool.run('x = bytearray(4 * 1024 ** 3)');
    expect(big.error).toBe('MemoryError');
    const growing = await pool.run('chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))');
    expect(growing.error).toBe('MemoryError');
    expect(growing.timed_out).toBe(false);
    await expectHealthy();
  });

  it('bounds file size and /tmp, and empties /tmp after each execution', async () => {
    const one = await pool.run(
      "with open('/tmp/big', 'wb') as f:\n    while True:\n        f.write(b'0' * 2 ** 20)",
    );
    expect(one.error).toBe('OSError: [Errno 27] File too large');
    const many = await pool.run(
      "i = 0\nwhile True:\n    with open(f'/tmp/f{i}', 'wb') as f:\n        f.write(b'0' * 2 ** 20)\n    i += 1",
    );
    expect(many.error).toBe('OSError: [Errno 28] No space left on device');
    await expectHealthy();
  });

  it('has no network: a server on the host loopback is unreachable', async () => {
    const port = (server.address() as AddressInfo).port;
    const r = await pool.run(
      `import socket\nprint(sorted(n for _, n in socket.if_nameindex()))\nsocket.create_connection(('127.0.0.1', ${port}), timeout=1)`,
    );
    expect(r.stdout.trim()).toBe("['lo']");
    expect(r.error).toMatch(/^(ConnectionRefusedError|OSError)/);
    expect(connections).toBe(0);
    await expectHealthy();
  });

  it('cannot read /etc/shadow or any host environment variable', async () => {
    const shadow = await pool.run("print(open('/etc/shadow').read())");
    expect(shadow.error).toMatch(/^(FileNotFoundError|PermissionError)/);
    expect(shadow.stdout).toBe('');
    const env = await pool.run(
      [
        'import os',
        'print(dict(os.environ))',
        "for p in ('/proc/self/environ', '/proc/1/environ', f'/proc/{os.getppid()}/environ'):",
        '    try:',
        "        print(p, open(p, 'rb').read())",
        '    except OSError as e:',
        '        print(p, type(e).__name__)',
      ].join('\n'),
    );
    expect(env.error).toBeNull();
    expect(env.stdout).toContain("'HOME': '/tmp'");
    expect(env.stdout).not.toContain(SECRET);
    expect(env.stdout).not.toContain('AUTOCODE_TEST_SECRET');
    await expectHealthy();
  });

  it('cannot write outside /tmp', async () => {
    const target = join(ROOT, `sandbox-escape-${process.pid}.txt`);
    rmSync(target, { force: true });
    const r = await pool.run(
      [
        `targets = ['/escape.txt', '/usr/escape.txt', '/opt/autocode-sandbox/zygote.py', ${JSON.stringify(target)}]`,
        'for t in targets:',
        '    try:',
        "        open(t, 'w').write('x')",
        "        print(t, 'WRITTEN')",
        '    except OSError as e:',
        '        print(t, type(e).__name__)',
      ].join('\n'),
    );
    expect(r.error).toBeNull();
    expect(r.stdout).not.toContain('WRITTEN');
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    expect(existsSync(target)).toBe(false);
    await expectHealthy();
  });

  it('cannot kill its parent, the namespace init, or everything', async () => {
    const results: ExecResult[] = [];
    for (const target of ['os.getppid()', '1', '-1']) {
      results.push(
        await pool.run(`import os, signal\nos.kill(${target}, signal.SIGKILL)\nprint('still here')`),
      );
    }
    if (process.getuid?.() === 0) {
      // Root mode: the code runs under its own uid, the zygote and init under another.
      expect(results.map((r) => r.error ?? r.stdout.trim())).toEqual([
        'PermissionError: [Errno 1] Operation not permitted',
        'PermissionError: [Errno 1] Operation not permitted',
        'still here',
      ]);
    } else {
      // User-namespace mode shares one uid: killing the zygote loses the slot, which is replaced.
      for (const r of results) expect(r.error ?? r.stdout).toMatch(/PermissionError|still here|died/);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
    await expectHealthy();
  });

  it('stops 100 MB of output at the cap with a marker', async () => {
    const limit = 65536;
    const flood = await pool.run("print('x' * 100_000_000)");
    const lines = await pool.run('i = 0\nwhile True:\n    print(i)\n    i += 1');
    for (const r of [flood, lines]) {
      expect(r.truncated).toBe(true);
      expect(r.timed_out).toBe(false);
      expect(r.error).toBe(`OutputLimitError: output exceeded ${limit} bytes`);
      expect(r.stdout.endsWith(`[... output truncated at ${limit} bytes ...]`)).toBe(true);
      expect(Buffer.byteLength(r.stdout)).toBeLessThan(limit + 100);
    }
    expect(flood.stdout.startsWith('x'.repeat(1000))).toBe(true);
    expect(lines.stdout.startsWith('0\n1\n2\n')).toBe(true);
    await expectHealthy();
  });
});
