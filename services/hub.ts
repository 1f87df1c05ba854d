// Temporal activities for the Hugging Face Hub (task queue `cpu`). Token: $HF_TOKEN; endpoint: $HF_ENDPOINT.

import { pullSnapshot, pushEntry } from '../engines/hub/hub';
import { parseInput } from '../engines/store/parse';
import type { DatasetRef } from '../schemas/store';
import { HubPullInput, HubPushInput } from '../schemas/store';

/** Pulls a model (-> checkpoints) or dataset (-> snapshots) repo into the store. */
export async function hubPull(raw: HubPullInput): Promise<DatasetRef> {
  const input = parseInput(HubPullInput, raw, 'hubPull');
  return pullSnapshot({
    repo: input.repo,
    type: input.type,
    revision: input.revision,
    include: input.include,
  });
}

/** Pushes a store entry (its files and manifest) to a repo as one commit. */
export async function hubPush(raw: HubPushInput): Promise<{ commit: string; url: string; files: number }> {
  const input = parseInput(HubPushInput, raw, 'hubPush');
  return pushEntry({
    entry: input.entry,
    repo: input.repo,
    type: input.type,
    branch: input.branch,
    pathInRepo: input.path_in_repo,
    title: input.title,
  });
}
