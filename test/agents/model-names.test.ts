// Which answering model is the one asked for: the same name, or a version of it (a date or a
// tag right after the name), with the provider left out at most; never a longer name.
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { answersFor, modelFamily } from '../../lib/agents/model-names.ts';

const it = suite('model names');

it('a version of the model asked, with or without its provider, answers for it', () => {
  for (const [asked, answered] of [['openai/gpt-4.1', 'openai/gpt-4.1'], ['openai/gpt-4.1', 'openai/gpt-4.1-2025-04-14'], ['openai/gpt-4.1', 'gpt-4.1-2025-04-14'], ['vendor/model-a', 'vendor/model-a-20260101'], ['a/m', 'a/m:free']]) {
    assert.ok(answersFor(asked as string, answered as string), `${asked} <- ${answered}`);
  }
});

it('a longer name, another provider, or a provider added to a bare name is another model', () => {
  for (const [asked, answered] of [['openai/gpt-4.1', 'openai/gpt-4.1-mini-2025-04-14'], ['openai/gpt-4.1', 'openai/gpt-4.1-evil:free'], ['openai/gpt-4.1', 'gpt-4.1-mini@x'], ['anthropic/claude-sonnet-4', 'anthropic/claude-sonnet-4-5-20250929'], ['gpt-4.1', 'evil/gpt-4.1'], ['openai/gpt-4.1', 'azure/gpt-4.1']]) {
    assert.not.ok(answersFor(asked as string, answered as string), `${asked} <- ${answered}`);
  }
});

it('two versions of one model share a family; a longer name does not', () => {
  assert.is(modelFamily('openai/gpt-4.1-2025-04-14'), modelFamily('openai/gpt-4.1-2025-06-01'));
  assert.is.not(modelFamily('openai/gpt-4.1-mini-2025-04-14'), modelFamily('openai/gpt-4.1-2025-04-14'));
});

it.run();
