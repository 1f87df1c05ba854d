// Every activity the TypeScript worker registers on task queue `cpu`.

export * from './ablation/index';
export * from './eval/index';
export * from './hub/activities';
export { recordNightly, writeNightlyReport } from './nightly/activities';
export * from './pipeline/index';
export * from './smoke/activities';
export * from './store/activities';
