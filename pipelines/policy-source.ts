// The starting policy's Code4Math form (paper §3, "Code4Math-[ModelFamily]": a base model fine-tuned
// on CoT and code demonstrations before EM): where the base comes from, where the demonstrations come
// from, and one line saying so for `autocode validate`.
import { z } from 'zod';

/** A base given as a path (or a store reference, store:checkpoints/<key>) must say so; anything else is a Hub repo id. */
const PATH_PREFIXES = ['/', './', '../', 'file://', 'store:'];
const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

export type BaseKind = 'checkpoint' | 'hub';

export function baseKind(base: string): BaseKind | null {
  if (PATH_PREFIXES.some((p) => base.startsWith(p))) return 'checkpoint';
  return REPO_ID.test(base) ? 'hub' : null;
}

export const BaseModel = z
  .string()
  .min(1)
  .refine((b) => baseKind(b) !== null, {
    error: (issue) =>
      `'${String(issue.input)}' is neither a checkpoint path (start it with /, ./, ../, file:// or store:) nor a Hub repo id (owner/name)`,
  });

/** A Hub dataset repo; `files`: path prefixes to read (default every .jsonl / .parquet file). */
export const HubDemonstrations = z
  .object({
    hub: z.string().min(3),
    revision: z.string().default('main'),
    files: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type HubDemonstrations = z.infer<typeof HubDemonstrations>;

/** A local .jsonl or .parquet file (rows: question, response; optional mode, method, query_id), or a Hub dataset. */
export const DemonstrationsSource = z.union([
  z
    .string()
    .min(1)
    .refine((p) => /\.(jsonl|parquet)$/.test(p), { error: 'a .jsonl or .parquet file' }),
  HubDemonstrations,
]);
export type DemonstrationsSource = z.infer<typeof DemonstrationsSource>;

export function describeDemonstrations(d: DemonstrationsSource): string {
  if (typeof d === 'string') return d;
  return `hub dataset ${d.hub}@${d.revision}${d.files ? ` (${d.files.join(', ')})` : ''}`;
}

/** One line per starting policy, e.g. "policy: base Qwen/Qwen2-Math-7B (hub) -> SFT on x.jsonl -> EM". */
export function describePolicy(policy: Record<string, unknown>): string {
  const p = policy as {
    checkpoint?: string;
    hub?: string;
    revision?: string;
    bootstrap?: { demonstrations: unknown };
    base?: string;
    sft?: { demonstrations: DemonstrationsSource; with: { epochs?: number; max_steps?: number } };
  };
  if (p.checkpoint) return `policy: checkpoint ${p.checkpoint}`;
  if (p.hub) return `policy: hub ${p.hub}@${p.revision ?? 'main'}`;
  if (p.bootstrap)
    return `policy: tiny model from scratch, SFT on ${JSON.stringify(p.bootstrap.demonstrations)}`;
  if (p.base && p.sft) {
    const kind = baseKind(p.base);
    const at = kind === 'hub' ? `${p.base}@${p.revision ?? 'main'} (hub)` : `${p.base} (checkpoint)`;
    const h = p.sft.with;
    const length = h.max_steps ? `${h.max_steps} steps max` : `${h.epochs ?? 1} epoch(s)`;
    return `policy: base ${at} -> SFT on ${describeDemonstrations(p.sft.demonstrations)} (${length}) -> EM`;
  }
  return 'policy: ?';
}
