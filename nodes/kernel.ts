// The node kernel, one path for every cpu kind: identity -> content key -> lookup -> produce -> write
// -> NodeResult. A kind supplies only what is its own (nodes/define.ts); a finished output is found at
// its key and nothing runs again, a sharded one resumes from the shards on disk.
import type { z } from 'zod';
import { contentKey } from '../engines/store/canonical';
import { lookup } from '../engines/store/catalog';
import { runSharded } from '../engines/store/sharded';
import { writeDataset } from '../engines/store/writer';
import { nodeResult } from '../schemas/node-result';
import type { NodeRequest, NodeResult } from '../schemas/run';
import type { DatasetRef } from '../schemas/store';
import { activitySignal, heartbeat } from './context';
import type { CpuNodeKind, Described, NodeJob, Produced } from './define';
import { toActivityFailure } from './failure';

export async function runNode<P extends z.ZodType>(
  kind: CpuNodeKind<P>,
  req: NodeRequest<z.output<P>>,
): Promise<NodeResult> {
  try {
    const identity = kind.identity(req);
    const key = contentKey({ producer: kind.producer, ...identity });
    const found = await lookup(kind.dataset, key);
    if (found) return result(kind, req, found, await describe(kind, req, found, null), true);
    const job: NodeJob<z.output<P>> = {
      req,
      identity,
      sharded: (spec) =>
        runSharded({
          ...spec,
          kind: kind.dataset,
          key,
          producer: kind.producer,
          params: identity.params,
          inputs: identity.inputs,
          onProgress: heartbeat,
        }),
      heartbeat,
      signal: activitySignal(),
    };
    const produced = await kind.produce(job);
    const ref =
      'written' in produced
        ? produced.written.ref
        : await writeDataset(
            {
              kind: kind.dataset,
              key,
              producer: kind.producer,
              params: identity.params,
              inputs: { ...identity.inputs, ...produced.provenance },
            },
            produced.rows,
          );
    return result(kind, req, ref, await describe(kind, req, ref, produced), false);
  } catch (err) {
    throw toActivityFailure(err);
  }
}

async function describe<P extends z.ZodType>(
  kind: CpuNodeKind<P>,
  req: NodeRequest<z.output<P>>,
  ref: DatasetRef,
  produced: Produced | null,
): Promise<Described> {
  if (kind.describe) return kind.describe(ref, req, produced);
  return { metrics: { rows: ref.rows, ...produced?.stats } };
}

function result<P extends z.ZodType>(
  kind: CpuNodeKind<P>,
  req: NodeRequest<z.output<P>>,
  ref: DatasetRef,
  d: Described,
  cached: boolean,
): NodeResult {
  return nodeResult(req, kind.output, { dataset: ref, metrics: d.metrics, extra: d.extra ?? {}, cached });
}
