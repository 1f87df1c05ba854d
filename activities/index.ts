// Every activity the TypeScript worker registers on task queue `cpu`.
export * from './hub/activities';
export * from './pipeline/index';
export * from './smoke/activities';
export * from './store/activities';
