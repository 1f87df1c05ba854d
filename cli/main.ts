// The `autocode` command.
import { Command } from 'commander';
import { register as registerAblation } from './commands/ablation';
import { register as registerCluster } from './commands/cluster';
import { register as registerEval } from './commands/eval';
import { register as registerExec } from './commands/exec';
import { register as registerGrade } from './commands/grade';
import { register as registerReport } from './commands/report';
import { register as registerRuns } from './commands/runs';
import { register as registerSchedule } from './commands/schedule';
import { register as registerSmoke } from './commands/smoke';
import { register as registerStack } from './commands/stack';
import { register as registerValidate } from './commands/validate';

// `autocode status | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('autocode')
  .description('AutoCode EM training on Temporal: run, watch, resume and evaluate')
  .showHelpAfterError();

registerStack(program);
registerSmoke(program);
registerValidate(program);
registerExec(program);
registerGrade(program);
registerRuns(program);
registerReport(program);
registerEval(program);
registerSchedule(program);
registerAblation(program);
registerCluster(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`autocode: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
