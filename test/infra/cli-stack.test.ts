import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/ports';
import { isAlive, type StackState } from '../../infra/stack-state';
import { autocode } from '../helpers/cli';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('autocode up | status | down', { timeout: 300_000 }, () => {
  let env: NodeJS.ProcessEnv;
  let varDir: string;

  beforeAll(async () => {
    varDir = mkdtempSync(join(tmpdir(), 'autocode-stack-'));
    env = {
      AUTOCODE_VAR: varDir,
      AUTOCODE_TEMPORAL_PORT: String(await freePort()),
      AUTOCODE_UI_PORT: String(await freePort()),
    };
    env.AUTOCODE_TEMPORAL_ADDRESS = `127.0.0.1:${env.AUTOCODE_TEMPORAL_PORT}`;
  });
  afterAll(async () => {
    await autocode(['down'], env);
  });

  it('refuses a taken port, naming the port and its holder, and starts nothing', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const res = await autocode(['up', '--detach'], { ...env, AUTOCODE_UI_PORT: String(port) });
      expect(res.code).toBe(1);
      expect(res.err).toContain(`port ${port} (Temporal Web UI)`);
      expect(res.err).toContain(`pid ${process.pid}`);
      expect(existsSync(join(varDir, 'run', 'stack.json'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('names a missing tool and the install command', async () => {
    const res = await autocode(['up'], {
      ...env,
      AUTOCODE_TEMPORAL_BIN: '/nonexistent/temporal',
      AUTOCODE_UV: '/nope/uv',
    });
    expect(res.code).toBe(1);
    expect(res.err).toContain('the Temporal CLI is missing (/nonexistent/temporal)');
    expect(res.err).toContain('uv is missing (/nope/uv)');
    expect(res.err).toContain('bash infra/install.sh');
  });

  it('starts, reports, restarts a crashed worker, runs the smoke workflow, and stops cleanly', async () => {
    const up = await autocode(['up', '--detach'], env);
    expect(up.err).toBe('');
    expect(up.code).toBe(0);
    expect(up.out).toContain('stack: ready');
    expect(up.out).toContain(`http://127.0.0.1:${env.AUTOCODE_UI_PORT}`);

    const status = JSON.parse((await autocode(['status', '--json'], env)).out);
    expect(status.running).toBe(true);
    expect(status.health).toBe('serving');
    expect(status.queues.cpu.length).toBeGreaterThan(0);
    expect(status.queues.gpu.length).toBeGreaterThan(0);

    const state = (): StackState => JSON.parse(readFileSync(join(varDir, 'run', 'stack.json'), 'utf8'));
    const crashed = state().processes['worker-cpu']?.pid;
    expect(isAlive(crashed)).toBe(true);
    process.kill(crashed as number, 'SIGKILL');
    let replaced: number | null | undefined;
    for (let i = 0; i < 100; i++) {
      const p = state().processes['worker-cpu'];
      if (p?.restarts === 1 && p.pid && p.pid !== crashed && isAlive(p.pid)) {
        replaced = p.pid;
        break;
      }
      await sleep(200);
    }
    expect(replaced).toBeTruthy();

    const smoke = await autocode(['smoke', '-m', 'through the cli'], env);
    expect(smoke.code).toBe(0);
    const result = JSON.parse(smoke.out);
    expect(result.cpu.pid).toBe(replaced);
    expect(result.gpu.message).toBe('through the cli');

    // Watching a run that does not exist: one line naming it, a non-zero exit, no stack trace.
    const watch = await autocode(['watch', 'nonesuch'], env);
    expect(watch.code).toBe(1);
    expect(watch.err.trim()).toBe('autocode: no run nonesuch on this server (`autocode runs` lists them)');

    const pids = Object.values(state().processes).map((p) => p?.pid);
    const supervisor = state().supervisor_pid;
    expect((await autocode(['down'], env)).code).toBe(0);
    expect(isAlive(supervisor)).toBe(false);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect((await autocode(['status'], env)).code).toBe(3);
    // With the stack down: one line saying how to start it.
    const down = await autocode(['watch', 'nonesuch'], env);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^autocode: cannot reach the Temporal server at .*autocode up --detach`\n$/);
  });
});
