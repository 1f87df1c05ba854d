// `autocode smoke`: runs the smoke workflow (one activity on each worker kind) and prints its result.
import type { Command } from 'commander';
import { TASK_QUEUES } from '../../schemas/queues';
import { SmokeInput } from '../../schemas/smoke';
import type { smoke } from '../../workflows/smoke';
import { withClient } from '../client';

export function register(program: Command): void {
  program
    .command('smoke')
    .description('prove the wiring: run one activity on the cpu and one on the gpu worker')
    .option('-m, --message <text>', 'message both workers echo', 'hello from autocode')
    .action(async (o: { message: string }) => {
      const input = SmokeInput.parse({ message: o.message });
      const result = await withClient((client) =>
        client.workflow.execute<typeof smoke>('smoke', {
          taskQueue: TASK_QUEUES.cpu,
          workflowId: `smoke-${new Date().toISOString().replace(/[:.]/g, '-')}`,
          args: [input],
        }),
      );
      console.log(JSON.stringify(result, null, 2));
    });
}
