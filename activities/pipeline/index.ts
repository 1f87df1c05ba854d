// The pipeline's cpu activities: the node kinds of pipelines/node-kinds.ts and the run's bookkeeping.
export { estimate } from './estimate';
export { evaluate } from './evaluate';
export { prepareRun } from './prepare';
export { recordNode, writeRunReport } from './record';
export { reloadEndpoints } from './reload';
export { rollouts } from './rollouts';
export { synthesize } from './synthesize';
