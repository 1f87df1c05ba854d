// Every wire type that crosses to the Python worker, by the name its JSON Schema file gets.
import type { z } from 'zod';
import { BehaviorLogprobsInput, BehaviorLogprobsOutput } from './behavior';
import {
  CompletionRequest,
  CompletionResponse,
  ErrorResponse,
  ReloadRequest,
  ReloadResponse,
  TokenizeChatRequest,
  TokenizeRequest,
  TokenizeResponse,
} from './inference';
import {
  PolicyLoadInput,
  PolicyLoadOutput,
  PolicyLogprobsInput,
  PolicyLogprobsOutput,
  PolicySftInput,
  PolicyTrainOutput,
  PolicyUpdateInput,
} from './policy';
import { NodeRequest, NodeResult } from './run';
import { GpuEchoInput, WorkerEcho } from './smoke';
import { DatasetRef, Manifest } from './store';

export const WIRE_TYPES: Record<string, z.ZodType> = {
  GpuEchoInput,
  WorkerEcho,
  DatasetRef,
  Manifest,
  // The node protocol: every node kind (cpu or gpu) takes a NodeRequest and returns a NodeResult.
  NodeRequest,
  NodeResult,
  // Policy activities (gpu/src/autocode_gpu/policy.py).
  PolicyLoadInput,
  PolicyLoadOutput,
  PolicySftInput,
  PolicyUpdateInput,
  PolicyTrainOutput,
  PolicyLogprobsInput,
  PolicyLogprobsOutput,
  BehaviorLogprobsInput,
  BehaviorLogprobsOutput,
  // The inference protocol the embedded server validates requests (and its tests, responses) against.
  CompletionRequest,
  CompletionResponse,
  TokenizeRequest,
  TokenizeChatRequest,
  TokenizeResponse,
  ReloadRequest,
  ReloadResponse,
  ErrorResponse,
};
