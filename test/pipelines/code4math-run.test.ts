// The Code4Math stage end to end on a real dev server with both real workers: emRun with
// `policy: { base: <tiny checkpoint>, sft: { demonstrations: <JSONL> } }` fine-tunes the base (not a
// fresh tiny model) on the rendered demonstrations, serves the result as the starting policy; a second
// run with the same input is a cache hit (the checkpoint untouched).
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveUri } from '../../engines/store/locate';
import { ROOT, TOOLS } from '../../infra/paths';
import { readSpecFile, resolveSpecPath } from '../../pipelines/load';
import type { RunProgress } from '../../schemas/progress';
import { TASK_QUEUES } from '../../schemas/queues';
import {
  spawnCpuWorker,
  spawnGpuWorker,
  startTestServer,
  stopProcess,
  type TestServer,
} from '../helpers/stack';

// A tiny base (hidden 32, not the tiny builder's default 128) with its own tokenizer, as a store entry.
const MAKE_BASE = `
import json
from autocode_gpu.checkpoint import save_checkpoint
from autocode_gpu.store import content_key, entry_dir
from autocode_gpu.tiny import tiny_model, train_tokenizer
texts = [f"User: What is {a} + {b}?\\nAssistant: \\\\boxed{{{a + b}}}" for a in range(10, 40) for b in range(1, 9)]
tok = train_tokenizer(texts, 300)
model = tiny_model(tok, {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 256})
dest = entry_dir("checkpoints", content_key("test_fixture", "1", {"name": "code4math-base"}))
print(json.dumps(save_checkpoint(model, tok, dest, producer={"activity": "test_fixture", "version": "1"}, params={})))
`;

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('emRun with a Code4Math policy', { timeout: 480_000 }, () => {
  let server: TestServer;
  let cpu: ChildProcess;
  let gpu: ChildProcess;
  let varDir: string;
  let store: string;
  let base: { uri: string; key: string };
  let demos: string;

  beforeAll(async () => {
    server = await startTestServer();
    varDir = mkdtempSync(join(tmpdir(), 'autocode-c4m-run-'));
    store = join(varDir, 'store');
    const env = { AUTOCODE_VAR: varDir, AUTOCODE_STORE: store, AUTOCODE_SANDBOX_SIZE: '1' };
    cpu = spawnCpuWorker(server.address, 'c4m-cpu', env);
    gpu = spawnGpuWorker(server.address, 'c4m-gpu', env);
    const made = await run(TOOLS.python, ['-c', MAKE_BASE], {
      cwd: ROOT,
      env: { ...process.env, ...env, OMP_NUM_THREADS: '1' },
    });
    base = JSON.parse(made.stdout.trim().split('\n').at(-1) as string);
    demos = join(varDir, 'sft.jsonl');
    const rows = [];
    for (let a = 2; a < 14; a++) {
      rows.push({ question: `What is ${a} + 3?`, response: `${a} + 3 = \\boxed{${a + 3}}.`, method: 'cot' });
      rows.push({
        question: `What is ${a} * 2?`,
        response: `\`\`\`python\nprint(${a} * 2)\n\`\`\`\n\`\`\`output`,
      });
    }
    writeFileSync(demos, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    // Importing torch for the base takes most of this on a loaded box.
  }, 240_000);
  afterAll(async () => {
    if (gpu) await stopProcess(gpu);
    if (cpu) await stopProcess(cpu);
    await server?.stop();
  });

  function spec(): Record<string, unknown> {
    // biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, edited field by field
    const s = readSpecFile(resolveSpecPath('tiny')) as Record<string, any>;
    s.iterations = 1;
    s.policy = {
      base: base.uri,
      sft: { demonstrations: demos, with: { max_steps: 3, batch_size: 4, device: 'cpu' } },
    };
    s.queries.train = [{ tiny_world: { seed: 2, per_family: 1 } }];
    s.queries.eval = [{ tiny_world: { seed: 3, per_family: 1, split: 'test' } }];
    return s;
  }

  /** Starts emRun and waits until it serves its starting policy; then stops it (the iteration is not under test). */
  async function startingPolicy(id: string): Promise<{ uri: string; key: string }> {
    const handle = await server.client.workflow.start('emRun', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: id,
      args: [{ spec_inline: spec() }],
    });
    for (let i = 0; i < 1500; i++) {
      const p = await handle.query<RunProgress>('progress');
      if (p.policy) {
        await handle.terminate('the starting policy is all this test needs');
        return p.policy;
      }
      await sleep(200);
    }
    throw new Error(`${id}: no starting policy in 300 s`);
  }

  it('fine-tunes the base on the demonstrations, then a rerun is all cache', async () => {
    // The workers' refs are relative to their store root: resolved here against the same root.
    const dirOf = (uri: string) => resolveUri(uri, { root: store });
    const policy = await startingPolicy('c4m-1');
    const manifest = JSON.parse(readFileSync(join(dirOf(policy.uri), '_manifest.json'), 'utf8'));
    expect(manifest.producer.activity).toBe('policy_sft');
    expect(manifest.key).toBe(policy.key);
    // Trained from the base: its identity is an input, the tokenizer and width are the base's.
    expect(manifest.inputs.policy.key).toBe(base.key);
    expect(manifest.params).not.toHaveProperty('tiny');
    expect(readFileSync(join(dirOf(policy.uri), 'tokenizer.json'), 'utf8')).toBe(
      readFileSync(join(dirOf(base.uri), 'tokenizer.json'), 'utf8'),
    );
    expect(JSON.parse(readFileSync(join(dirOf(policy.uri), 'config.json'), 'utf8')).hidden_size).toBe(32);
    // On the one demonstrations dataset prepareRun wrote from the JSONL (24 rows).
    const written = readdirSync(join(store, 'demonstrations'));
    expect(written).toEqual([manifest.inputs.demonstrations.key]);
    const dm = JSON.parse(readFileSync(join(store, 'demonstrations', written[0]!, '_manifest.json'), 'utf8'));
    expect(dm.rows).toBe(24);

    const stamp = statSync(join(dirOf(policy.uri), '_manifest.json')).mtimeMs;
    const again = await startingPolicy('c4m-2');
    expect(again).toEqual(policy);
    expect(statSync(join(dirOf(policy.uri), '_manifest.json')).mtimeMs).toBe(stamp);
  });
});
