// A list of inference endpoints with a bounded number of requests in flight on each. Requests wait for a
// free slot; an endpoint that just failed is rested for a while (doubling per consecutive failure) so
// traffic fails over to the others, and probed again once its rest is over or nothing else is left.
import type http from 'node:http';
import { makeAgent } from './http';

export class Endpoint {
  readonly completionsUrl: URL;
  readonly tokenizeUrl: URL;
  readonly agent: http.Agent;
  inFlight = 0;
  failures = 0;
  downUntil = 0;

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
    ep.failures = 0;
    ep.downUntil = 0;
  }

  failed(ep: Endpoint): void {
    ep.failures++;
    ep.downUntil = Date.now() + Math.min(this.restMs.max, this.restMs.base * 2 ** (ep.failures - 1));
  }

  close(): void {
    clearTimeout(this.wakeTimer);
    for (const ep of this.endpoints) ep.agent.destroy();
  }

  private pick(prefer: number | undefined, avoid: ReadonlySet<number>): Endpoint | undefined {
    const now = Date.now();
    // An endpoint that failed gets one probe request at a time until it answers again.
    const free = (e: Endpoint) => e.inFlight < (e.failures > 0 ? 1 : e.capacity);
    const healthy = this.endpoints.filter((e) => e.healthy(now) && !avoid.has(e.index));
    if (healthy.length > 0) {
      const preferred = prefer === undefined ? undefined : healthy.find((e) => e.index === prefer);
      if (preferred && free(preferred)) return preferred;
      return leastLoaded(healthy.filter(free));
    }
    // Nothing healthy outside `avoid`: probe whatever is free, the least recently failed first.
    const rest = this.endpoints
      .filter((e) => e.inFlight < e.capacity)
      .sort((a, b) => a.downUntil - b.downUntil || a.inFlight - b.inFlight);
    return rest[0];
  }

  private dispatch(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i] as Waiter;
      const ep = this.pick(w.prefer, w.avoid);
      if (!ep) {
        i++;
        continue;
      }
      ep.inFlight++;
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

function leastLoaded(eps: Endpoint[]): Endpoint | undefined {
  let best: Endpoint | undefined;
  const load = (e: Endpoint) => e.inFlight / e.capacity + (e.failures > 0 ? 1 : 0);
  for (const e of eps) if (!best || load(e) < load(best)) best = e;
  return best;
}
