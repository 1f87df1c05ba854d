// Every workflow the TypeScript worker hosts (the bundler's entry point).

export { ablationSweep } from './ablation-sweep';
export { emRun } from './em-run';
export { evalRun } from './eval-run';
export { iteration } from './iteration';
export { nightlyEval } from './nightly-eval';
export { smoke } from './smoke';
