// Evaluation: the activities of `evalRun` (the `evaluate` node uses the same core).
export { evalBenchmark, evalFinish, evalPrepare } from './activities';
