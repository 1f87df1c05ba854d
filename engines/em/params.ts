// The E-step core validates what it is given (it is also called directly: benches, tests), so a bad
// input fails with a message naming the field, not with NaNs in the train set.
import { z } from 'zod';
import {
  EstimateParams,
  type EstimateParamsInput,
  SynthesizeParams,
  type SynthesizeParamsInput,
} from '../../schemas/em';
import { emInputError } from './errors';

export {
  EstimateParams,
  type EstimateParamsInput,
  HINT_AFTER_CODE,
  HINT_AFTER_COT,
  SynthesizeParams,
  type SynthesizeParamsInput,
} from '../../schemas/em';

function parse<T extends z.ZodType>(schema: T, what: string, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw emInputError(`invalid ${what} parameters: ${z.prettifyError(r.error)}`);
  return r.data;
}

export function resolveEstimateParams(input: EstimateParamsInput): EstimateParams {
  return parse(EstimateParams, 'estimate', input);
}

export function resolveSynthesizeParams(input: SynthesizeParamsInput): SynthesizeParams {
  return parse(SynthesizeParams, 'synthesize', input);
}
