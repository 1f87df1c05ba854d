// Which checkpoint an evaluation judges: a checkpoint directory (or file:// URI), or `latest:<runId>`,
// the last policy an EM run recorded under var/runs/<run>/ (the newest iteration whose nodes produced
// a checkpoint; else the run's starting policy). A wrong name fails at once, naming what exists.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { checkpointStamp } from '../../engines/store/checkpoint-identity';
import { refUri, resolveUri } from '../../engines/store/locate';
import { storeRoot } from '../../engines/store/manifest';
import { PATHS } from '../../infra/paths';
import { CHECKPOINT_KIND } from '../../schemas/datasets';
import type { PolicyRef } from '../../schemas/run';
import { MANIFEST_FILE } from '../../schemas/store';
import { runDir } from '../run/record';

export const LATEST_PREFIX = 'latest:';

/** The checkpoint cannot be found: no retry can make it appear. */
export function missingCheckpoint(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'InvalidInput', nonRetryable: true });
}

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir)
      .filter((n) => !n.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
};

const brief = (names: string[], max = 8) =>
  names.length === 0
    ? 'none'
    : names.length > max
      ? `${names.slice(0, max).join(', ')}, … (${names.length} in all)`
      : names.join(', ');

/** What exists, for error messages: the store's checkpoints and the recorded runs. */
function whatExists(): string {
  const ckpts = list(join(storeRoot(), CHECKPOINT_KIND)).filter((k) =>
    existsSync(join(storeRoot(), CHECKPOINT_KIND, k, MANIFEST_FILE)),
  );
  return `checkpoints in the store (${join(storeRoot(), CHECKPOINT_KIND)}): ${brief(ckpts)}; runs for latest:<run> (${PATHS.runs}): ${brief(list(PATHS.runs))}`;
}

/** A checkpoint directory's identity: its store key, else the stamp of its path and files (shared with
 * prepareRun and the Python worker: engines/store/checkpoint-identity.ts). */
function checkpointRef(dir: string): PolicyRef {
  return { uri: refUri(dir), key: checkpointStamp(dir) };
}

function checkpointDir(spec: string, context: string): PolicyRef {
  const path = resolveUri(spec);
  if (!existsSync(path))
    throw missingCheckpoint(`${context}checkpoint ${path} does not exist (${whatExists()})`);
  if (!statSync(path).isDirectory() || !existsSync(join(path, 'config.json')))
    throw missingCheckpoint(
      `${context}${path} is not a checkpoint directory (no config.json; has: ${brief(list(path))})`,
    );
  return checkpointRef(path);
}

interface RecordedNode {
  node_id?: string;
  checkpoint?: { uri?: string; key?: string } | null;
}

/** The last policy of an EM run, from its run index. */
function latestOfRun(runId: string): PolicyRef {
  const dir = runDir(runId);
  if (!existsSync(dir)) throw missingCheckpoint(`run ${runId} not found: no ${dir} (${whatExists()})`);
  const iterations = list(dir)
    .map((n) => ({ name: n, k: Number(/^iter-(\d+)$/.exec(n)?.[1] ?? Number.NaN) }))
    .filter((i) => Number.isInteger(i.k))
    .sort((a, b) => b.k - a.k);
  for (const it of iterations) {
    const produced: { ref: PolicyRef; mtime: number; node: string }[] = [];
    for (const file of list(join(dir, it.name)).filter((f) => f.endsWith('.json'))) {
      const path = join(dir, it.name, file);
      let node: RecordedNode;
      try {
        node = JSON.parse(readFileSync(path, 'utf8')) as RecordedNode;
      } catch {
        continue; // a half-written or foreign file
      }
      const c = node.checkpoint;
      if (c?.uri && c.key)
        produced.push({ ref: { uri: c.uri, key: c.key }, mtime: statSync(path).mtimeMs, node: file });
    }
    // One update per iteration is the rule; with several, the last one recorded was served last.
    const last = produced.sort((a, b) => b.mtime - a.mtime)[0];
    if (last) {
      if (!existsSync(resolveUri(last.ref.uri)))
        throw missingCheckpoint(
          `run ${runId}: ${it.name}/${last.node} names checkpoint ${last.ref.uri}, which no longer exists`,
        );
      return last.ref;
    }
  }
  const fromReport = startingPolicy(dir);
  if (fromReport) return fromReport;
  throw missingCheckpoint(
    `run ${runId} has recorded no checkpoint yet (in ${dir}: ${brief(list(dir))}; ${iterations.map((i) => `${i.name}: ${brief(list(join(dir, i.name)))}`).join('; ') || 'no iterations'})`,
  );
}

/** A run whose iterations produced no checkpoint: its starting policy (report.json or spec.json). */
function startingPolicy(dir: string): PolicyRef | null {
  try {
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
      iterations?: { policy?: string }[];
    };
    const key = report.iterations?.at(-1)?.policy;
    if (key && /^[0-9a-f]{64}$/.test(key)) {
      const dir = join(storeRoot(), CHECKPOINT_KIND, key);
      if (existsSync(join(dir, MANIFEST_FILE))) return { uri: refUri(dir), key };
    }
  } catch {
    /* no report yet */
  }
  try {
    const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as {
      spec?: { policy?: { checkpoint?: string } };
    };
    const path = spec.spec?.policy?.checkpoint;
    if (path) return checkpointDir(path, `run ${dir}: spec.json's policy: `);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
  }
  return null;
}

/** Resolves `checkpoint` (a directory, a file:// URI, or latest:<runId>) to the policy to evaluate. */
export function resolveCheckpoint(checkpoint: string): PolicyRef {
  const spec = checkpoint.trim();
  if (spec === '')
    throw missingCheckpoint('checkpoint: empty (give a checkpoint directory or latest:<runId>)');
  if (spec.startsWith(LATEST_PREFIX)) {
    const runId = spec.slice(LATEST_PREFIX.length);
    if (!runId)
      throw missingCheckpoint(`checkpoint "${spec}": name the run, latest:<runId> (${whatExists()})`);
    return latestOfRun(runId);
  }
  return checkpointDir(spec, '');
}
