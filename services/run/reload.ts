// Points external inference servers (SGLang, or vLLM with the same endpoint) at a new checkpoint: every
// url at once, and returns only when each reports serving it (SGLang's /get_model_info, else the root of
// /v1/models), so the run never samples from a pool serving two policies. Failures name the url: a refusal
// (4xx) is non-retryable, an unreachable server or a 5xx retryable (it may come back).
import { resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { resolveUri } from '../../engines/store/locate';
import { ReloadResponse } from '../../schemas/inference';

const VERIFY_TIMEOUT_MS = 30_000;

export async function reloadEndpoints(input: { urls: string[]; model_path: string }): Promise<number> {
  // A store ref becomes this host's path of the checkpoint: the servers must mount the store at the
  // same root as this worker (docs/store.md).
  const modelPath = resolveUri(input.model_path);
  const outcomes = await Promise.allSettled(input.urls.map((url) => reloadOne(url, modelPath)));
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
  if (failures.length === 0) return input.urls.length;
  const message = failures.map((f) => f.message).join('; ');
  // Retryable unless every failure is one a retry cannot fix.
  const nonRetryable = failures.every((f) => f instanceof ApplicationFailure && f.nonRetryable);
  throw ApplicationFailure.create({ message, type: 'ReloadFailed', nonRetryable });
}

async function reloadOne(url: string, modelPath: string): Promise<void> {
  const res = await fetch(new URL('/update_weights_from_disk', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model_path: modelPath }),
  }).catch((err: unknown) => {
    throw new Error(`cannot reach ${url} to reload weights: ${String(err)}`);
  });
  const body = ReloadResponse.safeParse(await res.json().catch(() => null));
  if (!res.ok || !body.success || !body.data.success) {
    const why = body.success ? body.data.message : `HTTP ${res.status}`;
    throw ApplicationFailure.create({
      message: `${url} refused to load ${modelPath}: ${why}`,
      type: 'ReloadRejected',
      nonRetryable: res.status >= 400 && res.status < 500,
    });
  }
  const served = await servedPath(url);
  if (served === null) {
    throw ApplicationFailure.create({
      message: `${url} loaded ${modelPath} but reports no served path on /get_model_info or /v1/models, so the reload cannot be checked`,
      type: 'ReloadUnverifiable',
      nonRetryable: true,
    });
  }
  if (!samePath(served, modelPath)) {
    // Another reload may have raced this one: retrying loads and checks again.
    throw new Error(`${url} reports serving ${served} after loading ${modelPath}`);
  }
}

/** The checkpoint path a server reports serving, or null when it reports none. */
async function servedPath(url: string): Promise<string | null> {
  const info = await getJson(url, '/get_model_info');
  if (typeof info?.model_path === 'string') return info.model_path;
  const models = await getJson(url, '/v1/models');
  const data = Array.isArray(models?.data) ? (models.data as { root?: unknown }[]) : [];
  const root = data.find((m) => typeof m.root === 'string')?.root;
  return typeof root === 'string' ? root : null;
}

async function getJson(url: string, path: string): Promise<Record<string, unknown> | null> {
  const res = await fetch(new URL(path, url), { signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS) }).catch(
    (err: unknown) => {
      throw new Error(`cannot reach ${url}${path} to check the reload: ${String(err)}`);
    },
  );
  if (!res.ok) return null;
  const body = (await res.json().catch(() => null)) as unknown;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null;
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => resolve(p.replace(/^file:\/\//, '')).replace(/\/+$/, '');
  return norm(a) === norm(b);
}
