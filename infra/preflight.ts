// Checks before the stack starts: every tool present and working, every port free. Each failure is
// one message saying what is missing and the command that fixes it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { INSTALL_HINT, type StackPorts, TOOLS } from './paths';
import { isPortFree, portHolder } from './ports';

export class PreflightError extends Error {}

function runs(cmd: string, args: string[]): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: 'pipe', timeout: 60_000 });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return (e.stderr?.toString().trim().split('\n').pop() ?? e.message).slice(0, 300);
  }
}

export function checkTools(): void {
  const problems: string[] = [];
  if (!existsSync(fileURLToPath(TOOLS.tsxLoader)))
    problems.push('npm packages are not installed (node_modules)');
  if (!existsSync(TOOLS.uv)) problems.push(`uv is missing (${TOOLS.uv})`);
  if (!existsSync(TOOLS.python)) {
    problems.push(`the Python environment is missing (${TOOLS.python})`);
  } else {
    const broken = runs(TOOLS.python, ['-c', 'import autocode_gpu.worker, temporalio, torch']);
    if (broken) problems.push(`the Python environment is broken (${TOOLS.python}: ${broken})`);
  }
  if (!existsSync(TOOLS.temporal)) {
    problems.push(`the Temporal CLI is missing (${TOOLS.temporal})`);
  } else {
    const broken = runs(TOOLS.temporal, ['--version']);
    if (broken) problems.push(`the Temporal CLI does not run (${TOOLS.temporal}: ${broken})`);
  }
  if (problems.length > 0) {
    throw new PreflightError(`${problems.join('; ')}.\nInstall everything with: ${INSTALL_HINT}`);
  }
}

export async function checkPorts(ports: StackPorts): Promise<void> {
  const wanted: [string, number, string][] = [
    ['Temporal frontend (gRPC)', ports.temporal, 'AUTOCODE_TEMPORAL_PORT'],
    ['Temporal Web UI', ports.ui, 'AUTOCODE_UI_PORT'],
  ];
  const taken: string[] = [];
  for (const [what, port, env] of wanted) {
    if (await isPortFree(port, ports.ip)) continue;
    const holder = portHolder(port) ?? 'an unknown process';
    taken.push(`port ${port} (${what}) on ${ports.ip} is already in use by ${holder}; stop it or set ${env}`);
  }
  if (taken.length > 0) throw new PreflightError(taken.join('\n'));
}
