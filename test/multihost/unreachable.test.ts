// Bad input on a cluster: a host whose AUTOCODE_TEMPORAL_ADDRESS it cannot reach. Each worker kind
// stops at once with a message naming the address and the host (its name and address).

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TOOLS, VAR_DIR } from '../../infra/paths';
import { createTestNetwork, type TestHost, type TestNetwork } from '../helpers/hosts';

const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) =>
    c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code)),
  );

describe('a worker on a host that cannot reach the Temporal server', { timeout: 120_000 }, () => {
  let net: TestNetwork;
  let host: TestHost;
  beforeAll(() => {
    net = createTestNetwork();
    host = net.addHost('lonely');
  });
  afterAll(() => net?.destroy());

  // Nothing listens on the gateway's port (refused); the other address has no route from the host.
  const cases = (gateway: string) => [`${gateway}:17697`, '192.0.2.7:7233'];

  for (const kind of ['cpu', 'gpu'] as const) {
    it(`the ${kind} worker exits non-zero naming the address and the host`, async () => {
      for (const address of cases(net.gateway)) {
        const log = join(VAR_DIR, 'test-logs', `multihost-unreachable-${kind}-${Date.now()}.log`);
        const env = { AUTOCODE_TEMPORAL_ADDRESS: address };
        const child =
          kind === 'cpu'
            ? host.spawn(process.execPath, ['--import', TOOLS.tsxLoader, join(ROOT, 'workers', 'cpu.ts')], {
                env,
                log,
              })
            : host.spawn(TOOLS.python, ['-m', 'autocode_gpu.worker'], { env, log });
        const t0 = Date.now();
        expect(await exited(child), address).not.toBe(0);
        const text = readFileSync(log, 'utf8');
        expect(text).toContain(`the ${kind} worker on host lonely (${host.address})`);
        expect(text).toContain(`cannot reach the Temporal server at ${address} (AUTOCODE_TEMPORAL_ADDRESS)`);
        expect(Date.now() - t0, 'it fails fast').toBeLessThan(60_000);
      }
    });
  }
});
