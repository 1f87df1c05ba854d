// The resumable sharded pattern shared by rollouts and evaluation: look the output up at its content
// address; otherwise write each missing part (shard) atomically, reporting progress (the caller
// heartbeats it), and seal the manifest last. A retried or resumed run redoes at most the shard that
// was in flight.
import type { DatasetKind, Row } from '../../schemas/datasets';
import type { DatasetRef, Producer } from '../../schemas/store';
import { lookup } from './catalog';
import { openWriter } from './writer';

export interface ShardProgress {
  shards_done: number;
  shards: number;
  /** Shards found finished on disk when this attempt started. */
  shards_reused: number;
  rows: number;
  tokens: number;
  tokens_per_s: number;
  queries_done_in_shard: number;
}

export interface ShardedSpec<Q> {
  kind: DatasetKind;
  key: string;
  producer: Producer;
  params: Record<string, unknown>;
  inputs: Record<string, DatasetRef | { kind: string; key: string; sha256: string }>;
  items: readonly Q[];
  shardSize: number;
  /** Produces the rows of one shard; reports queries finished for heartbeats. */
  runShard(items: readonly Q[], index: number, onQueryDone: () => void): Promise<Row[]>;
  /** Tokens a row stands for (throughput figures). */
  tokensOf?(row: Row): number;
  /** Called at the start, after every query and after every shard (a node heartbeats it). */
  onProgress?(progress: ShardProgress): void;
}

export interface ShardedResult {
  ref: DatasetRef;
  cached: boolean;
  progress: ShardProgress;
}

export async function runSharded<Q>(spec: ShardedSpec<Q>): Promise<ShardedResult> {
  const heartbeat = (p: ShardProgress) => spec.onProgress?.(p);
  const shards = Math.max(1, Math.ceil(spec.items.length / spec.shardSize));
  const empty: ShardProgress = {
    shards_done: shards,
    shards,
    shards_reused: shards,
    rows: 0,
    tokens: 0,
    tokens_per_s: 0,
    queries_done_in_shard: 0,
  };
  const found = await lookup(spec.kind, spec.key);
  if (found) return { ref: found, cached: true, progress: { ...empty, rows: found.rows } };

  const writer = openWriter({
    kind: spec.kind,
    key: spec.key,
    producer: spec.producer,
    params: spec.params,
    inputs: spec.inputs,
  });
  const done = new Set(await writer.existingParts());
  const progress: ShardProgress = { ...empty, shards_done: done.size, shards_reused: done.size };
  const started = Date.now();
  heartbeat(progress);
  for (let i = 0; i < shards; i++) {
    if (done.has(i)) continue;
    progress.queries_done_in_shard = 0;
    const items = spec.items.slice(i * spec.shardSize, (i + 1) * spec.shardSize);
    const rows = await spec.runShard(items, i, () => {
      progress.queries_done_in_shard++;
      heartbeat(progress);
    });
    await writer.writePart(i, rows);
    progress.shards_done++;
    progress.rows += rows.length;
    if (spec.tokensOf) for (const r of rows) progress.tokens += spec.tokensOf(r);
    progress.tokens_per_s = Math.round(progress.tokens / Math.max(0.001, (Date.now() - started) / 1000));
    heartbeat(progress);
  }
  const ref = await writer.finish(shards);
  return { ref, cached: false, progress };
}
