// Every wire type that crosses to the Python worker, by the name its JSON Schema file gets.
import type { z } from 'zod';
import { GpuEchoInput, WorkerEcho } from './smoke';
import { DatasetRef, Manifest } from './store';

export const WIRE_TYPES: Record<string, z.ZodType> = {
  GpuEchoInput,
  WorkerEcho,
  DatasetRef,
  Manifest,
};
