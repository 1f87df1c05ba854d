// The TypeScript worker's activities that are not pipeline nodes (those are nodes/activities.ts): run
// preparation and records, evaluation runs, nightly, ablation, hub, store, smoke.

export * from './ablation/index';
export * from './eval/index';
export * from './hub';
export { recordNightly, writeNightlyReport } from './nightly/activities';
export { prepareRun } from './run/prepare';
export { recordNode, writeRunReport } from './run/record';
export { reloadEndpoints } from './run/reload';
export * from './smoke';
export * from './store';
