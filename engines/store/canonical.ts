// Canonical JSON (keys sorted, no spaces) and the content address built from it. The Python worker
// (gpu/src/autocode_gpu/store.py) implements the same canonical form, so both compute one key.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Producer } from '../../schemas/store';
import { storeError } from './errors';

/** JSON with object keys sorted at every level; undefined members dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, '$'));
}

function sortKeys(value: unknown, where: string): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw storeError('InvalidInput', `${where} is ${value}: parameters must be finite numbers`);
  }
  if (typeof value === 'bigint')
    throw storeError('InvalidInput', `${where} is a bigint: use a number or string`);
  if (Array.isArray(value)) return value.map((v, i) => sortKeys(v, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v, `${where}.${k}`);
    }
    return out;
  }
  return value;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface KeySpec {
  producer: Producer;
  /** Parameters that change the output; canonicalized, so key order does not matter. */
  params: Record<string, unknown>;
  /**
   * Named inputs (datasets, the policy checkpoint): their keys enter the key, or for an input from
   * outside the store (a source file) its content hash.
   */
  inputs?: Record<string, { key?: string; sha256: string; [field: string]: unknown }>;
}

/**
 * Content address of a store entry: sha256 of the canonical JSON of
 * {activity, version, params, inputs: {name: key}}. An entry is named by what determines it (producer,
 * parameters, its inputs' names), not by its bytes: a node redone after a crash may write other bytes
 * (batching moves log-probs by ~1e-7), and what was built on it must still be found. The bytes' hash
 * (`sha256`) stays in the manifest for integrity and provenance.
 */
export function contentKey(spec: KeySpec): string {
  const inputs: Record<string, string> = {};
  for (const [name, ref] of Object.entries(spec.inputs ?? {})) inputs[name] = ref.key ?? ref.sha256;
  return sha256Hex(
    canonicalJson({
      activity: spec.producer.activity,
      version: spec.producer.version,
      params: spec.params,
      inputs,
    }),
  );
}
