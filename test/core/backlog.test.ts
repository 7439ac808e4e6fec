// BACKLOG.md as the loop reads it: the two documented forms, in file order; lines inside fenced
// code blocks are examples, never tasks (nor ticked by the steward).
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { markDone, parseBacklog, taskSlug } from '../../lib/core/backlog.ts';

const it = suite('BACKLOG.md');

const BACKLOG = `# Backlog

- [ ] Add greet
  * [x] Add the README
TODO: Add farewell
DONE:   Ship 0.1

How to write a task:

\`\`\`markdown
- [ ] an example inside a fence
TODO: another example
\`\`\`

~~~~
- [ ] in a tilde fence, with a shorter fence inside
~~~
~~~~

\`\`\`
\`\`\`js
- [ ] a closing fence has no info string: still inside
\`\`\`

<!-- notes:
- [ ] in an HTML comment
-->

- [ ] Last task
- [ ]
`;

it('checkboxes and TODO:/DONE: prefixes, in file order; fenced examples and empty items left out', () => {
  assert.equal(parseBacklog(BACKLOG).map((item) => [item.line, item.text, item.done]), [
    [3, 'Add greet', false],
    [4, 'Add the README', true],
    [5, 'Add farewell', false],
    [6, 'Ship 0.1', true],
    [29, 'Last task', false],
  ]);
});

it('marking done ticks the first open item of that text, never one in a fence', () => {
  const fencedFirst = '```\n- [ ] Add greet\n```\n- [ ] Add greet\n';
  assert.is(markDone(fencedFirst, 'Add greet'), '```\n- [ ] Add greet\n```\n- [x] Add greet\n');
  assert.is(markDone(BACKLOG, 'an example inside a fence'), null);
  assert.match(markDone(BACKLOG, 'Add farewell') ?? '', '\nDONE: Add farewell\n');
});

it('a task slug is its first words and a hash of its text', () => {
  assert.match(taskSlug('Add a greet(name) function'), /^add-a-greet-name-function-[0-9a-f]{6}$/);
  assert.is.not(taskSlug('Add greet'), taskSlug('Add greet!'));
  assert.match(taskSlug('日本語'), /^task-[0-9a-f]{6}$/);
});

it.run();
