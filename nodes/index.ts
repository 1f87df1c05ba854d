// The pipeline's cpu activities: the node kinds of pipelines/node-kinds.ts and the run's bookkeeping.

export { prepareRun } from '../services/run/prepare';
export { recordNode, writeRunReport } from '../services/run/record';
export { reloadEndpoints } from '../services/run/reload';
export { estimate } from './estimate';
export { evaluate } from './evaluate';
export { rollouts } from './rollouts';
export { synthesize } from './synthesize';
