// The E-step: estimate (Q, prior, reference strategy, decision) and synthesize (training rows).
export { emInputError } from './errors';
export { estimate, estimateQuery } from './estimate';
export * from './params';
export { drawDecision, nativePrior, reference } from './reference';
export { closeFences, cutAttempt, failedAttemptText, hintFor, reflectivePrefix } from './reflect';
export { type SynthesizeOptions, type SynthesizeStats, synthesize, synthesizeWithStats } from './synthesize';
export * from './types';
export { clip, whiten } from './whiten';
