// One JSON POST over node:http(s) with keep-alive, a wall timeout, and failures sorted by whether a
// retry can help: refused/reset connections, truncated bodies, timeouts and 5xx/429 can; 4xx cannot.
import http from 'node:http';
import https from 'node:https';

export type FailureKind = 'connect' | 'reset' | 'timeout' | 'status' | 'protocol';

export class HttpFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }

  /** Whether another attempt (possibly on another endpoint) may succeed. */
  get retryable(): boolean {
    if (this.kind === 'status')
      return this.status === undefined || this.status >= 500 || this.status === 429 || this.status === 408;
    return this.kind !== 'protocol';
  }
}

export function makeAgent(url: URL, maxSockets: number): http.Agent {
  const options = { keepAlive: true, maxSockets, keepAliveMsecs: 10_000 };
  return url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** POSTs `body` as JSON to `url` and resolves with the parsed JSON body of a 2xx answer. */
export function postJson(
  url: URL,
  body: unknown,
  opts: { agent: http.Agent; timeoutMs: number; signal?: AbortSignal },
): Promise<unknown> {
  const payload = Buffer.from(JSON.stringify(body));
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      reject(e);
    };
    // Cancellation is not a failure of the endpoint: it rejects with the signal's reason, never retried.
    const onAbort = () =>
      fail(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    const req = transport.request(url, {
      method: 'POST',
      agent: opts.agent,
      headers: {
        'content-type': 'application/json',
        'content-length': payload.length,
        accept: 'application/json',
      },
    });
    const timer = setTimeout(
      () => fail(new HttpFailure('timeout', `no complete answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const kind = CONNECT_CODES.has(code) ? 'connect' : 'reset';
      fail(new HttpFailure(kind, `${code || 'error'}: ${err.message}`));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err: NodeJS.ErrnoException) =>
        fail(new HttpFailure('reset', `connection dropped mid-response: ${err.code ?? err.message}`)),
      );
      res.on('close', () => {
        if (!res.complete) fail(new HttpFailure('reset', 'connection dropped mid-response'));
      });
      res.on('end', () => {
        if (settled) return;
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          fail(new HttpFailure('status', `HTTP ${status}: ${errorMessage(text)}`, status));
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          fail(
            new HttpFailure('protocol', `HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`),
          );
          return;
        }
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(parsed);
      });
    });
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(payload);
  });
}

/** The message of an OpenAI-shaped error body, else the body's start. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown }; message?: unknown; detail?: unknown };
    const m = body.error?.message ?? body.message ?? body.detail;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 300) || '(empty body)';
}
