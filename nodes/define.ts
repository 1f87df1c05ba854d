// The node protocol: what one node kind declares. The spec validator, the JSON Schema, `autocode
// validate`'s DAG print, the worker and the workflow all read these declarations (nodes/registry.ts).
// A cpu kind also says how its output is identified and produced; nodes/kernel.ts does the rest
// (content key, lookup, write, result). A gpu kind runs in the Python worker
// (gpu/src/autocode_gpu/nodes.py) under the same request and result types.
import type { z } from 'zod';
import type { ShardedResult, ShardedSpec } from '../engines/store/sharded';
import type { DatasetKind, Row } from '../schemas/datasets';
import type { TaskQueueName } from '../schemas/queues';
import type { Metrics, NodeRequest, OutputKind } from '../schemas/run';
import type { DatasetRef, InputRef, Producer } from '../schemas/store';

interface NodeKindBase<P extends z.ZodType> {
  /** The name a spec node `uses`, and the activity name on its queue. */
  uses: string;
  queue: TaskQueueName;
  output: OutputKind;
  /** Inputs by producer kind: [min, max] nodes of that kind among `needs`. */
  inputs: Partial<Record<OutputKind, [number, number]>>;
  /** Parameters: a node's `with` over the spec's defaults, parsed once when the spec is validated. */
  params: P;
  /** Whether its parameters take a `prompt` (the spec-level one is its default). */
  prompted?: boolean;
  /** Names and versions what it writes: a new version never hits an old cache entry. */
  producer: Producer;
  description: string;
}

/** A kind the Python worker runs: its declaration only. */
export interface GpuNodeKind<P extends z.ZodType = z.ZodType> extends NodeKindBase<P> {
  queue: 'gpu';
}

/** What determines a node's output besides its producer: the parameters as keyed, and its inputs. */
export interface Identity {
  params: Record<string, unknown>;
  inputs: Record<string, InputRef | DatasetRef>;
}

/** A node's work on a cache miss, as the kernel hands it over. */
export interface NodeJob<P> {
  req: NodeRequest<P>;
  identity: Identity;
  /** Writes the output shard by shard under the node's key (resumable), heartbeating progress. */
  sharded<Q>(
    spec: Pick<ShardedSpec<Q>, 'items' | 'shardSize' | 'runShard' | 'tokensOf'>,
  ): Promise<ShardedResult>;
  heartbeat(details: unknown): void;
  signal: AbortSignal | undefined;
}

/** What the work produced: rows for the kernel to write, or the output the job's `sharded` wrote. */
export type Produced =
  | {
      rows: Row[];
      /** Metrics of this run only (a cached result does not have them). */
      stats?: Metrics;
      /** Manifest inputs recorded beside the identity's (provenance; not part of the key). */
      provenance?: Record<string, DatasetRef>;
    }
  | { written: ShardedResult; stats?: Metrics };

/** A finished output's figures and secondary datasets, found cached or just produced. */
export interface Described {
  metrics: Metrics;
  extra?: Record<string, DatasetRef>;
}

export interface CpuNodeKind<P extends z.ZodType = z.ZodType> extends NodeKindBase<P> {
  queue: 'cpu';
  /** The store kind of its output dataset. */
  dataset: DatasetKind;
  identity(req: NodeRequest<z.output<P>>): Identity;
  produce(job: NodeJob<z.output<P>>): Promise<Produced>;
  /** Figures of the output; default: its rows. */
  describe?(ref: DatasetRef, req: NodeRequest<z.output<P>>, produced: Produced | null): Promise<Described>;
}

export type NodeKind<P extends z.ZodType = z.ZodType> = CpuNodeKind<P> | GpuNodeKind<P>;

/** Declares a kind with its parameter type inferred from its schema. */
export function defineNode<P extends z.ZodType, K extends NodeKind<P>>(kind: K & { params: P }): K {
  return kind;
}
