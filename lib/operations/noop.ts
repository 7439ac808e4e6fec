/** `noop`: does nothing and returns its params (placeholders, tests, engine benchmarks). */
import { builtinDefinition, defineOperation } from './handler.ts';

export const noop = defineOperation({
  ...builtinDefinition('noop'),
  execute: (params) => params,
});
