// An inference pool of two real embedded servers (python -m autocode_gpu.server, tiny random-weight
// checkpoints): reload on every endpoint checked against what each reports, the failures a reload can
// meet (named by url, retryable or not), and kill -9 of one server in the middle of rollouts: the
// rollouts finish with the undisturbed run's rows (same ids, same sampled tokens), none twice.
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceClient } from '../../engines/rollouts/client';
import { defaultReward } from '../../engines/rollouts/reward';
import { type RolloutQuery, runRolloutShard } from '../../engines/rollouts/shard';
import type { RolloutParamsInput, RolloutRow } from '../../schemas/rollout';
import { reloadEndpoints } from '../../services/run/reload';
import { pythonExecutor } from '../helpers/python-executor';
import {
  type Checkpoints,
  type EmbeddedServer,
  getJson,
  startEmbeddedServer,
  tinyCheckpoints,
} from './servers';

const PORTS = [17410, 17411];
const dir = mkdtempSync(join(tmpdir(), 'autocode-pool-'));
const store = join(dir, 'store');

const QUERIES: RolloutQuery[] = Array.from({ length: 12 }, (_, i) => ({
  query_id: `q${i}`,
  question: `What is ${20 + i} + ${i % 9}?`,
  answer: String(20 + i + (i % 9)),
}));
// Seeded: each request's seed derives from (query, mode, sample, round), so a request retried on the
// other server samples the same tokens from the same weights.
const PARAMS: RolloutParamsInput = { samples: 2, max_tokens: 40, max_rounds: 1, seed: 11 };

async function rollouts(urls: string[], onProgress?: (c: InferenceClient) => void) {
  // Four requests in flight per server (a spec's max_concurrency), so the run flows in waves.
  const client = new InferenceClient({ urls, model: 'policy', concurrency: 4 });
  const timer = onProgress ? setInterval(() => onProgress(client), 20) : undefined;
  try {
    const rows = await runRolloutShard(
      QUERIES,
      PARAMS,
      { iteration: 1, policy: 'b' },
      {
        generator: client,
        executor: pythonExecutor(),
        reward: defaultReward,
      },
    );
    return { rows, stats: client.endpointStats(), retries: client.stats.retries };
  } finally {
    clearInterval(timer);
    client.close();
  }
}

const id = (r: RolloutRow) => `${r.query_id}/${r.mode}/${r.sample}`;

describe('an inference pool of two embedded servers', { timeout: 600_000 }, () => {
  let ck: Checkpoints;
  let servers: EmbeddedServer[] = [];
  let urls: string[];

  beforeAll(async () => {
    ck = await tinyCheckpoints(store, dir);
    servers = await Promise.all(PORTS.map((port) => startEmbeddedServer(ck.a, { port, threads: 1, store })));
    urls = servers.map((s) => s.url);
  }, 600_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('reloads every endpoint and returns once each reports the new checkpoint', async () => {
    expect(await reloadEndpoints({ urls, model_path: ck.b })).toBe(2);
    for (const u of urls) {
      const info = await getJson(`${u}/get_model_info`);
      expect(info).toMatchObject({ model_path: ck.b, weights_version: 2 });
    }
  });

  it('names the url of an endpoint that cannot load, and says whether a retry can help', async () => {
    // The checkpoint does not load (4xx on every server): non-retryable, both urls named.
    const bad = await reloadEndpoints({ urls, model_path: ck.broken }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApplicationFailure);
    expect((bad as ApplicationFailure).nonRetryable).toBe(true);
    for (const u of urls) expect((bad as Error).message).toContain(`${u} refused to load ${ck.broken}`);
    for (const u of urls) expect((await getJson(`${u}/get_model_info`)).model_path).toBe(ck.b);

    // A server that is not there: retryable (it may come back), named; the live one still reloads.
    const gone = 'http://127.0.0.1:17419';
    const down = await reloadEndpoints({ urls: [urls[0] as string, gone], model_path: ck.b }).catch(
      (e: unknown) => e,
    );
    expect((down as ApplicationFailure).nonRetryable).toBe(false);
    expect((down as Error).message).toContain(`cannot reach ${gone}`);
    expect((down as Error).message).not.toContain(urls[0] as string);

    // One that says it loaded but reports another checkpoint: not taken as reloaded (retryable).
    const liar = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') res.end(JSON.stringify({ success: true, message: 'ok' }));
      else res.end(JSON.stringify({ model_path: '/some/other/checkpoint' }));
    });
    await new Promise<void>((r) => liar.listen(17418, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
      const lied = await reloadEndpoints({ urls: [url], model_path: ck.b }).catch((e: unknown) => e);
      expect((lied as ApplicationFailure).nonRetryable).toBe(false);
      expect((lied as Error).message).toContain(`${url} reports serving /some/other/checkpoint`);
    } finally {
      liar.close();
    }
  });

  it('finishes rollouts with the undisturbed rows after kill -9 of one server mid-run', async () => {
    const calm = await rollouts(urls);
    // Both servers took part.
    expect(calm.stats.every((s) => s.served > 0)).toBe(true);
    expect(calm.retries).toBe(0);

    const victim = servers[1] as EmbeddedServer;
    let servedAtKill = -1;
    let inFlightAtKill = 0;
    const hit = await rollouts(urls, (client) => {
      const s = client.endpointStats()[1];
      if (servedAtKill < 0 && s && s.served >= 3 && s.in_flight > 0) {
        servedAtKill = s.served;
        inFlightAtKill = s.in_flight;
        process.kill(victim.pid, 'SIGKILL');
      }
    });
    expect(servedAtKill).toBeGreaterThan(0); // killed mid-run, with requests in flight on it
    const [live, dead] = hit.stats as [(typeof hit.stats)[0], (typeof hit.stats)[0]];
    // Drained: nothing sent after the kill was answered there. A reply the server wrote just before
    // SIGKILL can still be read from the socket (seen once on a 2-core host: 4 served, 3 at kill).
    expect(dead.served).toBeGreaterThanOrEqual(servedAtKill);
    expect(dead.served - servedAtKill).toBeLessThanOrEqual(inFlightAtKill);
    expect(dead.failed).toBeGreaterThan(0);
    expect(hit.retries).toBeGreaterThan(0);
    expect(live.served).toBeGreaterThan(calm.stats[0]?.served ?? 0);

    // Same rows: every (query, mode, sample) once, as in the undisturbed run, same tokens.
    const ids = hit.rows.map(id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(hit.rows.length).toBe(calm.rows.length);
    expect(hit.rows.length).toBe(QUERIES.length * 3 * 2);
    expect(ids).toEqual(calm.rows.map(id));
    const before = new Map(calm.rows.map((r) => [id(r), r]));
    for (const r of hit.rows) {
      const c = before.get(id(r)) as RolloutRow;
      expect(r.response_token_ids).toEqual(c.response_token_ids);
      expect(r.error).toBeNull();
      // Log-probs agree to float noise (batch composition differs between the runs).
      const drift = r.behavior_logprobs.reduce(
        (m, x, i) => Math.max(m, Math.abs(x - (c.behavior_logprobs[i] as number))),
        0,
      );
      expect(drift).toBeLessThan(1e-4);
    }
  });
});
