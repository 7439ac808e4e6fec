/** `noop`: does nothing and returns its params (placeholders, tests, engine benchmarks). */
import { defineOperation } from './handler.ts';

export const noop = defineOperation({
  type: 'noop',
  description: 'do nothing (tests, placeholders); the output is the params',
  writes: false,
  compensation: 'none',
  idempotent: true,
  execute: (params) => params,
});
