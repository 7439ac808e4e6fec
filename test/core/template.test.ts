import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import {
  compileSimpleTemplate,
  compileTemplate,
  compileWithHandlebars,
  renderTemplate,
  stringifyForTemplate,
  type TemplateRef,
} from '../../lib/core/template.ts';

const compile = suite('compileTemplate');

compile('a value that is exactly one {{path}} is a whole-value reference', () => {
  const { template } = compileTemplate('{{ steps.design.output.packet }}');
  assert.equal(template, { kind: 'whole', ref: { path: ['steps', 'design', 'output', 'packet'], text: 'steps.design.output.packet' } });
});

compile('anything else is interpolated text, and a string without braces is plain text', () => {
  assert.equal(compileTemplate('reviewer_{{seat}}').template, { kind: 'interpolated', parts: ['reviewer_', { path: ['seat'], text: 'seat' }] });
  assert.equal(compileTemplate(' {{x}}').template.kind, 'interpolated');
  assert.equal(compileTemplate('no braces { here }').template, { kind: 'text', value: 'no braces { here }' });
});

compile('the fast path and the handlebars parser agree on every template both accept', () => {
  const corpus = [
    '{{x}}', '{{ x }}', 'a{{x}}b{{y.z}}c', '{{a.b.c}}{{d}}', 'x {{a-b}} y', '{{steps.s.outputs.0}}', 'reviewer_{{seat}}',
    '{{a}} and {{a}}', 'multi\nline {{x}}\n', '{ {{x}} }', '{{x}}}', '{{{x}}}', '\\{{x}}', '{{~x~}}', '{{x.[0]}}', '{{this}}',
    '{{true}}', '{{else}}', '{{@index}}', '{{x y}}', '{{x}', '{{#each xs}}{{/each}}', '}}{{x}}', '{{a..b}}',
  ];
  let fast = 0;
  for (const text of corpus) {
    const simple = compileSimpleTemplate(text);
    const full = compileWithHandlebars(text);
    if (simple === undefined) continue;
    fast++;
    assert.equal(full.problems, [], `handlebars accepts ${JSON.stringify(text)}`);
    assert.equal(simple, full.template, `same template for ${JSON.stringify(text)}`);
  }
  assert.ok(fast >= 9, `the fast path handled ${fast} of the corpus`);
});

compile('the fast path agrees with handlebars on 5,000 random strings of template fragments (seeded)', () => {
  const fragments = ['{{', '}}', '{', '}', 'x', 'a.b', '.', '0', ' ', '~', '\\', '-', 'this', '#', '/', '@', 'steps.s.output', '&', '"', '\n'];
  let seed = 20261121;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  let fast = 0;
  for (let i = 0; i < 5000; i++) {
    let text = '';
    const length = 1 + Math.floor(random() * 8);
    for (let j = 0; j < length; j++) text += fragments[Math.floor(random() * fragments.length)];
    const simple = compileSimpleTemplate(text);
    if (simple === undefined) continue;
    fast++;
    const full = compileWithHandlebars(text);
    assert.equal(full.problems, [], `handlebars accepts ${JSON.stringify(text)}`);
    assert.equal(simple, full.template, `same template for ${JSON.stringify(text)}`);
  }
  assert.ok(fast > 500, `the fast path handled ${fast} strings`);
});

compile('refuses helpers, blocks, partials, this, ../ and @data with a named reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['{{upper x}}', /calls a helper/],
    ['{{x key=1}}', /calls a helper/],
    ['{{#if x}}y{{/if}}', /block helpers/],
    ['{{> partial}}', /partials/],
    ['{{this.x}}', /this or \.\.\//],
    ['{{../x}}', /this or \.\.\//],
    ['{{@index}}', /@data/],
    ['{{"text"}}', /literal/],
  ];
  for (const [text, reason] of cases) {
    const { problems } = compileTemplate(text);
    assert.is(problems[0]?.code, 'E_TEMPLATE_UNSUPPORTED', text);
    assert.match(problems[0]?.message ?? '', reason);
  }
});

compile('reports a syntax error instead of throwing', () => {
  const { problems } = compileTemplate('{{x');
  assert.is(problems[0]?.code, 'E_TEMPLATE_SYNTAX');
});

compile('keeps escaped braces as text', () => {
  assert.equal(compileTemplate('\\{{literal}}').template, { kind: 'interpolated', parts: ['{{literal}}'] });
});

compile.run();

const render = suite('renderTemplate');
const values: Record<string, unknown> = { list: ['a', 'b'], obj: { k: 1 }, n: 3, nothing: null, text: 'say {{hello}}' };
const resolve = (ref: TemplateRef) => values[ref.path[0] as string];

render('a whole-value template returns the raw value: lists, mappings, numbers', () => {
  assert.equal(renderTemplate(compileTemplate('{{list}}').template, resolve), ['a', 'b']);
  assert.equal(renderTemplate(compileTemplate('{{obj}}').template, resolve), { k: 1 });
  assert.is(renderTemplate(compileTemplate('{{n}}').template, resolve), 3);
});

render('interpolation stringifies: canonical JSON for structures, empty for null', () => {
  assert.is(renderTemplate(compileTemplate('n={{n}} obj={{obj}} list={{list}} none={{nothing}}.').template, resolve), 'n=3 obj={"k":1} list=["a","b"] none=.');
});

render('inserted values are never rendered again', () => {
  assert.is(renderTemplate(compileTemplate('>{{text}}<').template, resolve), '>say {{hello}}<');
  assert.is(renderTemplate(compileTemplate('{{text}}').template, resolve), 'say {{hello}}');
});

render('stringifyForTemplate keeps text and prints booleans', () => {
  assert.is(stringifyForTemplate('x'), 'x');
  assert.is(stringifyForTemplate(false), 'false');
  assert.is(stringifyForTemplate(undefined), '');
});

render.run();
