import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { NAMED_CHECKS } from '../../lib/operations/gate-checks.ts';
import { BUILTIN_TRANSFORMS } from '../../lib/operations/packet-route.ts';
import { BUILTIN_TOOLS } from '../../lib/operations/tool-invoke.ts';
import { BUILTIN_CHECK_NAMES, BUILTIN_TOOL_ACTIONS, BUILTIN_TRANSFORM_NAMES } from '../../lib/runtime/vocabulary.ts';

// vocabulary.ts writes out the built-in names so that `validate` need not load the modules
// behind them; these lists must stay what those modules define.
const vocabulary = suite('the vocabulary validate checks against');

vocabulary('names every built-in tool with exactly its actions', () => {
  const defined = new Map(BUILTIN_TOOLS.map((tool) => [tool.name, Object.keys(tool.actions).sort()]));
  assert.equal(new Map([...BUILTIN_TOOL_ACTIONS].map(([name, actions]) => [name, [...actions].sort()])), defined);
});

vocabulary('names every built-in transform and named gate check', () => {
  assert.equal([...BUILTIN_TRANSFORM_NAMES].sort(), [...BUILTIN_TRANSFORMS.keys()].sort());
  assert.equal([...BUILTIN_CHECK_NAMES].sort(), Object.keys(NAMED_CHECKS).sort());
});

vocabulary.run();
