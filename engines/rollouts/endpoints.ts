// A list of inference endpoints with a bounded number of requests in flight on each (docs/inference-pools.md).
// Routing: a request goes to the endpoint with the fewest requests in flight relative to its capacity,
// ties taken in turn (round robin), unless it prefers one (a continuation turn: the endpoint that holds
// its prefix in cache) that is healthy and free. Requests wait for a free slot. An endpoint that just
// failed is drained: rested for a while (doubling per consecutive failure) so no new request goes there,
// its failed requests are retried on the others by the client, and it is probed with one request at a
// time once its rest is over (or when nothing else is left).
import type http from 'node:http';
import { makeAgent } from './http';

export class Endpoint {
  readonly completionsUrl: URL;
  readonly tokenizeUrl: URL;
  readonly agent: http.Agent;
  inFlight = 0;
  failures = 0;
  downUntil = 0;
  /** Requests answered, and failures, since the pool was made (for stats and tests). */
  served = 0;
  failed = 0;

  constructor(
    readonly index: number,
    /** The endpoint as configured, for messages. */
    readonly name: string,
    readonly capacity: number,
  ) {
    // Accept both "http://host:port" and "http://host:port/v1" (the OpenAI base-URL habit).
    const base = name.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.completionsUrl = new URL(`${base}/v1/completions`);
    this.tokenizeUrl = new URL(`${base}/tokenize`);
    this.agent = makeAgent(this.completionsUrl, capacity);
  }

  healthy(now: number): boolean {
    return this.downUntil <= now;
  }
}

interface Waiter {
  prefer?: number;
  avoid: ReadonlySet<number>;
  resolve(endpoint: Endpoint): void;
}

export class EndpointPool {
  readonly endpoints: Endpoint[];
  private readonly waiters: Waiter[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  /** Where the next tie-break scan starts: equal loads are served in turn. */
  private cursor = 0;

  constructor(
    urls: readonly string[],
    capacity: number,
    private readonly restMs = { base: 1000, max: 30_000 },
  ) {
    if (urls.length === 0) throw new Error('inference endpoints: the list of urls is empty');
    this.endpoints = urls.map((u, i) => new Endpoint(i, u, capacity));
  }

  /** A slot on an endpoint: `prefer` if it is healthy and free, never one in `avoid` while others serve. */
  acquire(prefer?: number, avoid: ReadonlySet<number> = new Set()): Promise<Endpoint> {
    const ep = this.pick(prefer, avoid);
    if (ep) {
      ep.inFlight++;
      return Promise.resolve(ep);
    }
    return new Promise((resolve) => {
      this.waiters.push({ prefer, avoid, resolve });
      this.armWake();
    });
  }

  release(ep: Endpoint): void {
    ep.inFlight--;
    this.dispatch();
  }

  succeeded(ep: Endpoint): void {
    ep.served++;
    ep.failures = 0;
    ep.downUntil = 0;
  }

  failed(ep: Endpoint): void {
    ep.failed++;
    ep.failures++;
    ep.downUntil = Date.now() + Math.min(this.restMs.max, this.restMs.base * 2 ** (ep.failures - 1));
  }

  close(): void {
    clearTimeout(this.wakeTimer);
    for (const ep of this.endpoints) ep.agent.destroy();
  }

  // Plain loops: this runs once per waiter on every release.
  private pick(prefer: number | undefined, avoid: ReadonlySet<number>): Endpoint | undefined {
    const best = this.leastLoaded(prefer, avoid);
    if (best) this.cursor = (best.index + 1) % this.endpoints.length;
    return best;
  }

  private leastLoaded(prefer: number | undefined, avoid: ReadonlySet<number>): Endpoint | undefined {
    const now = Date.now();
    let anyHealthy = false;
    let best: Endpoint | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    const n = this.endpoints.length;
    for (let k = 0; k < n; k++) {
      const e = this.endpoints[(this.cursor + k) % n] as Endpoint;
      if (!e.healthy(now) || avoid.has(e.index)) continue;
      anyHealthy = true;
      // An endpoint that failed gets one probe request at a time until it answers again.
      if (e.inFlight >= (e.failures > 0 ? 1 : e.capacity)) continue;
      if (e.index === prefer) return e;
      const load = e.inFlight / e.capacity + (e.failures > 0 ? 1 : 0);
      if (load < bestLoad) {
        best = e;
        bestLoad = load;
      }
    }
    if (anyHealthy) return best;
    // Nothing healthy outside `avoid`: probe whatever is free, the soonest out of its rest first.
    for (const e of this.endpoints) {
      if (e.inFlight >= e.capacity) continue;
      if (
        !best ||
        e.downUntil < best.downUntil ||
        (e.downUntil === best.downUntil && e.inFlight < best.inFlight)
      ) {
        best = e;
      }
    }
    return best;
  }

  private dispatch(): void {
    let free = 0;
    for (const e of this.endpoints) free += Math.max(0, e.capacity - e.inFlight);
    for (let i = 0; i < this.waiters.length && free > 0; ) {
      const w = this.waiters[i] as Waiter;
      const ep = this.pick(w.prefer, w.avoid);
      if (!ep) {
        i++;
        continue;
      }
      ep.inFlight++;
      free--;
      this.waiters.splice(i, 1);
      w.resolve(ep);
    }
    if (this.waiters.length > 0) this.armWake();
  }

  /** Waiters blocked only by resting endpoints must wake when the rest ends, not on the next release. */
  private armWake(): void {
    if (this.wakeTimer) return;
    const now = Date.now();
    const next = Math.min(...this.endpoints.filter((e) => !e.healthy(now)).map((e) => e.downUntil));
    if (!Number.isFinite(next)) return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.dispatch();
      },
      Math.max(1, next - now),
    );
    this.wakeTimer.unref();
  }
}
