// Entry point of the detached supervisor that `autocode up --detach` starts.
import { stackPorts } from './paths';
import { Supervisor } from './supervisor';

const supervisor = new Supervisor(stackPorts());
let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  supervisor.stop().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
supervisor.start().then(
  () =>
    console.error(`[supervisor] ready: ${supervisor.state.temporal_address}, UI ${supervisor.state.ui_url}`),
  (err) => {
    console.error(`[supervisor] failed to start: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  },
);
