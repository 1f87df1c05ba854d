// `autocode validate` as a user runs it: the DAG from the registry (queue and output per node), and
// the checks `autocode run` makes, benchmark names included, failing with the field's path.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths';

const validate = (...args: string[]) =>
  spawnSync(join(ROOT, 'bin', 'autocode'), ['validate', ...args], { cwd: ROOT, encoding: 'utf8' });

describe('autocode validate', () => {
  it("prints each node's kind, queue and output kind, and what it needs", () => {
    const r = validate('tiny');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/behavior: behavior_logprobs on gpu -> train <- synthesize/);
    expect(r.stdout).toMatch(/update: policy_update on gpu -> checkpoint <- behavior/);
    expect(r.stdout).toMatch(/rollouts_cot: rollouts on cpu -> rollouts/);
  });

  it('refuses an unknown benchmark as `autocode run` does, naming the field and the known names', () => {
    const r = validate('autocode', '-s', 'queries.eval=[{benchmark: nonesuch}]');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/queries\.eval\[0\]\.benchmark: unknown benchmark 'nonesuch'; known: .*gsm8k/);
  });

  it('refuses an unknown extraction policy, naming each node, the field and the allowed values', () => {
    const r = validate('tiny', '-s', 'defaults.rollouts.extraction=loose');
    expect(r.status).toBe(1);
    for (const [i, id] of ['rollouts_cot', 'rollouts_code', 'rollouts_native'].entries())
      expect(r.stderr).toContain(
        `iteration.nodes[${i}].with.extraction: node '${id}' (rollouts): Invalid option: expected one of "strict"|"lenient"`,
      );
    expect(validate('tiny', '-s', 'defaults.evaluate.extraction=strict').status).toBe(0);
  });
});
