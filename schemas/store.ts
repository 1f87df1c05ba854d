// Wire types of the dataset store: what activities pass instead of rows, and the manifest every
// store entry ends with. snake_case: the Python worker reads and writes both.
import { z } from 'zod';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');

/** Store entry kinds: the dataset kinds of schemas/datasets.ts plus `checkpoints`. */
export const StoreKind = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lowercase kind name');

/** A finished store entry: small JSON that activities and workflows pass around. */
export const DatasetRef = z
  .object({
    kind: StoreKind,
    /** Content address: sha256 of (producer, version, canonical params, input hashes). */
    key: Sha256,
    /**
     * Where the entry (part files + _manifest.json) is: `store:<kind>/<key>`, relative to the store root,
     * which each host resolves against its own root (engines/store/locate.ts, docs/store.md);
     * `file:///abs` outside the store. Older refs hold an absolute path of one host: still read.
     */
    uri: z.string().min(1),
    /** sha256 of the manifest's canonical `files` list: changes when any byte changes. */
    sha256: Sha256,
    rows: z.number().int().min(0),
    schema_version: z.number().int().min(0),
  })
  .strict();
export type DatasetRef = z.infer<typeof DatasetRef>;

export const ManifestFile = z
  .object({
    /** Relative to the entry directory, '/'-separated. */
    path: z.string().min(1),
    /** Rows for Parquet parts; 0 for other files (checkpoint weights, configs). */
    rows: z.number().int().min(0),
    bytes: z.number().int().min(0),
    sha256: Sha256,
  })
  .strict();
export type ManifestFile = z.infer<typeof ManifestFile>;

export const Producer = z
  .object({
    /** Activity (or tool) name that wrote the entry. */
    activity: z.string().min(1),
    /** Its version: bump it when its output for the same inputs changes. */
    version: z.string().min(1),
  })
  .strict();
export type Producer = z.infer<typeof Producer>;

/** An input of a store entry, by name: another entry's kind, key and content hash. */
export const InputRef = z
  .object({
    kind: StoreKind,
    key: Sha256,
    sha256: Sha256,
  })
  .strict();
export type InputRef = z.infer<typeof InputRef>;

export const MANIFEST_FILE = '_manifest.json';

export const Manifest = z
  .object({
    kind: StoreKind,
    schema_version: z.number().int().min(0),
    key: Sha256,
    inputs: z.record(z.string(), InputRef),
    params: z.record(z.string(), z.unknown()),
    rows: z.number().int().min(0),
    files: z.array(ManifestFile),
    created_at: z.string(),
    producer: Producer,
  })
  .strict();
export type Manifest = z.infer<typeof Manifest>;

/** Input of the prepareQueries activity: benchmark splits -> one `queries` dataset. */
export const PrepareQueriesInput = z
  .object({
    benchmarks: z.array(z.object({ name: z.string(), split: z.string().default('test') }).strict()).min(1),
    source: z.enum(['local', 'hub']).default('local'),
    /** Keep only the first `limit` rows of each split (tiny runs, smoke tests). */
    limit: z.number().int().min(1).optional(),
  })
  .strict();
export type PrepareQueriesInput = z.input<typeof PrepareQueriesInput>;

export const HubPullInput = z
  .object({
    repo: z.string().min(3),
    type: z.enum(['model', 'dataset']),
    revision: z.string().default('main'),
    include: z.array(z.string()).optional(),
  })
  .strict();
export type HubPullInput = z.input<typeof HubPullInput>;

export const HubPushInput = z
  .object({
    entry: DatasetRef,
    repo: z.string().min(3),
    type: z.enum(['model', 'dataset']),
    branch: z.string().optional(),
    path_in_repo: z.string().optional(),
    title: z.string().optional(),
  })
  .strict();
export type HubPushInput = z.input<typeof HubPushInput>;
