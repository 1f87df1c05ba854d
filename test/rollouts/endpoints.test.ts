// Routing in the endpoint pool: least loaded relative to capacity, ties in turn, a continuation's
// preferred endpoint while it is healthy and free, `avoid` for a retry, and a failed endpoint drained.
import { afterEach, describe, expect, it } from 'vitest';
import { type Endpoint, EndpointPool } from '../../engines/rollouts/endpoints';

const URLS = ['http://127.0.0.1:17401', 'http://127.0.0.1:17402', 'http://127.0.0.1:17403'];
let pool: EndpointPool;
afterEach(() => pool?.close());

const indices = (eps: Endpoint[]) => eps.map((e) => e.index);

describe('EndpointPool routing', () => {
  it('sends each request to the least-loaded endpoint, equal loads in turn', async () => {
    pool = new EndpointPool(URLS.slice(0, 2), 4);
    // One at a time (acquire, release): every load is 0, so the endpoints take turns.
    const turns: number[] = [];
    for (let i = 0; i < 6; i++) {
      const ep = await pool.acquire();
      turns.push(ep.index);
      pool.release(ep);
    }
    expect(turns).toEqual([0, 1, 0, 1, 0, 1]);
    // Held: the loads stay even.
    const held = await Promise.all(Array.from({ length: 6 }, () => pool.acquire()));
    expect(pool.endpoints.map((e) => e.inFlight)).toEqual([3, 3]);
    // Free two slots on endpoint 0: the next two go there, not round robin.
    for (const ep of held.filter((e) => e.index === 0).slice(0, 2)) pool.release(ep);
    expect(indices(await Promise.all([pool.acquire(), pool.acquire()]))).toEqual([0, 0]);
  });

  it('keeps a continuation on its preferred endpoint while it is free, else the least loaded', async () => {
    pool = new EndpointPool(URLS.slice(0, 2), 2);
    const a = await pool.acquire(1);
    expect(a.index).toBe(1);
    // Endpoint 1 is busier than 0, but preferred and free.
    expect((await pool.acquire(1)).index).toBe(1);
    // Full: the preference yields to a free endpoint instead of waiting.
    expect((await pool.acquire(1)).index).toBe(0);
    // Resting after a failure: not preferred any more.
    pool.release(a);
    pool.failed(pool.endpoints[1] as Endpoint);
    expect((await pool.acquire(1)).index).toBe(0);
  });

  it('avoids the endpoints a retry already tried while another serves', async () => {
    pool = new EndpointPool(URLS, 4);
    const busy = await Promise.all([pool.acquire(), pool.acquire()]); // endpoints 0 and 1 carry one each
    expect(indices(busy)).toEqual([0, 1]);
    // 2 is the least loaded, but avoided: the least loaded of the others.
    expect((await pool.acquire(undefined, new Set([2]))).index).toBe(0);
  });

  it('drains a failed endpoint: no new requests while it rests, then one probe at a time', async () => {
    pool = new EndpointPool(URLS.slice(0, 2), 4, { base: 300, max: 300 });
    pool.failed(pool.endpoints[0] as Endpoint);
    const during = await Promise.all(Array.from({ length: 4 }, () => pool.acquire()));
    expect(indices(during)).toEqual([1, 1, 1, 1]);
    // Endpoint 1 is full and 0 rests: the next request waits rather than going to 0 ...
    let got: Endpoint | undefined;
    const waiting = pool.acquire().then((ep) => {
      got = ep;
      return ep;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toBeUndefined();
    // ... and once the rest is over it is the probe, the only request 0 takes until it answers.
    const probe = await waiting;
    expect(probe.index).toBe(0);
    for (const ep of during) pool.release(ep);
    const next = await Promise.all(Array.from({ length: 4 }, () => pool.acquire()));
    expect(indices(next)).toEqual([1, 1, 1, 1]);
    pool.succeeded(probe);
    pool.release(probe);
    expect((await pool.acquire()).index).toBe(0); // answered: back in the rotation
    expect(pool.endpoints.map((e) => [e.served, e.failed])).toEqual([
      [1, 1],
      [0, 0],
    ]);
  });
});
