// Every activity the TypeScript worker registers on task queue `cpu`.

export * from '../engines/store/activities';
export * from '../nodes/index';
export * from './ablation/index';
export * from './eval/index';
export * from './hub';
export { recordNightly, writeNightlyReport } from './nightly/activities';
export * from './smoke';
