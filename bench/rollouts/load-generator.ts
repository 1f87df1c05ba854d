// A plain load generator: the given completion requests, `concurrency` at a time, over keep-alive
// node:http, counting completion tokens. No retries, no parsing beyond JSON: the peer the engine is
// measured against.
import http from 'node:http';

export async function drive(
  url: string,
  bodies: readonly unknown[],
  concurrency: number,
): Promise<{ completion_tokens: number; seconds: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL('/v1/completions', url);
  let next = 0;
  let tokens = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const body = Buffer.from(JSON.stringify(bodies[next++]));
      const text = await new Promise<string>((resolve, reject) => {
        const req = http.request(target, {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        });
        req.end(body);
      });
      const parsed = JSON.parse(text) as { usage: { completion_tokens: number } };
      tokens += parsed.usage.completion_tokens;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { completion_tokens: tokens, seconds };
}
