// Points external inference servers (SGLang, or vLLM with the same endpoint) at a new checkpoint.
import { ApplicationFailure } from '@temporalio/common';
import { ReloadResponse } from '../../schemas/inference';

export async function reloadEndpoints(input: { urls: string[]; model_path: string }): Promise<number> {
  for (const url of input.urls) {
    const res = await fetch(new URL('/update_weights_from_disk', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model_path: input.model_path }),
    }).catch((err: unknown) => {
      throw new Error(`cannot reach ${url} to reload weights: ${String(err)}`);
    });
    const body = ReloadResponse.safeParse(await res.json().catch(() => null));
    if (!res.ok || !body.success || !body.data.success) {
      const why = body.success ? body.data.message : `HTTP ${res.status}`;
      throw ApplicationFailure.create({
        message: `${url} refused to load ${input.model_path}: ${why}`,
        type: 'ReloadRejected',
        nonRetryable: res.status >= 400 && res.status < 500,
      });
    }
  }
  return input.urls.length;
}
