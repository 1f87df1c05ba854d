// The `autocode` command.
import { Command } from 'commander';
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

// Reserved layout, filled by later work: each says so until then instead of failing obscurely.
const reserved: [string, string][] = [
  ['run', 'start an EM run from a pipeline spec'],
  ['resume', 'restart a failed run, reusing finished nodes and shards'],
  ['watch', 'live progress of a run'],
  ['runs', 'list runs'],
  ['validate', 'validate a pipeline spec'],
  ['exec', 'run Python from stdin in the sandbox'],
  ['grade', 'grade JSON lines of {gold, pred|response}'],
  ['eval', 'evaluate a checkpoint on benchmarks'],
  ['schedule', 'nightly evaluation schedules'],
  ['report', 'HTML and Markdown report of a run'],
];
const taken = new Set(program.commands.map((c) => c.name()));
for (const [name, description] of reserved) {
  if (taken.has(name)) continue;
  program
    .command(name)
    .description(`${description} (not available yet)`)
    .allowUnknownOption()
    .action(() => {
      console.error(`autocode ${name}: not available in this version yet`);
      process.exitCode = 2;
    });
}

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`autocode: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
