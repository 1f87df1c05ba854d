// Every activity the TypeScript worker registers on task queue `cpu`.
export * from './smoke/activities';
