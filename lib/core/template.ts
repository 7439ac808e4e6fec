/**
 * `{{ }}` templates in mission values (spec §5.3). The handlebars grammar is used to parse (at
 * load time, so errors surface before anything runs); only plain paths are allowed inside the
 * braces, and rendering is done here from the parsed parts rather than by handlebars' compiler,
 * which keeps plans as data and rules out helpers and prototype access by construction.
 *
 * - A value that is exactly one `{{path}}` resolves to the raw value (object, list, number).
 * - Any other string renders to a string; values are inserted once and never re-rendered, so a
 *   value containing `{{` stays text.
 */
import { createRequire } from 'node:module';
import type * as HandlebarsParser from 'handlebars/dist/cjs/handlebars/compiler/base.js';
import { canonicalJson } from './canonical.ts';

let handlebarsParser: typeof HandlebarsParser | undefined;

/** The handlebars parser, loaded on first use: most templates never need it (see compileSimpleTemplate). */
function parse(text: string): ReturnType<typeof HandlebarsParser.parse> {
  handlebarsParser ??= createRequire(import.meta.url)('handlebars/dist/cjs/handlebars/compiler/base.js') as typeof HandlebarsParser;
  return handlebarsParser.parse(text);
}

/** A reference inside braces: `steps.design.output.packet` -> path [steps, design, output, packet]. */
export interface TemplateRef {
  path: string[];
  /** The reference as written, for messages. */
  text: string;
}

export type Template =
  | { kind: 'text'; value: string }
  | { kind: 'whole'; ref: TemplateRef }
  | { kind: 'interpolated'; parts: Array<string | TemplateRef> };

export interface TemplateProblem {
  code: 'E_TEMPLATE_SYNTAX' | 'E_TEMPLATE_UNSUPPORTED';
  message: string;
  hint?: string;
  /** Text in the source to point at. */
  needle?: string;
}

/** True when a string holds template syntax and needs compiling. */
export function isTemplated(text: string): boolean {
  return text.includes('{{');
}

/** Parse a string into a template, collecting every problem. */
export function compileTemplate(text: string): { template: Template; problems: TemplateProblem[] } {
  if (!isTemplated(text)) return { template: { kind: 'text', value: text }, problems: [] };
  const simple = compileSimpleTemplate(text);
  if (simple) return { template: simple, problems: [] };
  return compileWithHandlebars(text);
}

// Text with `{{ dotted.path }}` references and nothing else handlebars would read specially
// (no backslash, `~`, `{{{`, `&`, helpers, blocks): nearly every mission template. Compiled
// here without the handlebars parser, which is slow to warm up; test/core/template.test.ts
// checks both give the same template.
const SIMPLE_REFERENCE = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;
const RESERVED_ROOTS = new Set(['this', 'true', 'false', 'null', 'undefined', 'else']);

/** The template for simple text, or undefined when the handlebars parser must decide. */
export function compileSimpleTemplate(text: string): Template | undefined {
  if (text.includes('\\') || text.includes('{{{') || text.includes('}}}')) return undefined;
  const parts: Array<string | TemplateRef> = [];
  let last = 0;
  for (const match of text.matchAll(SIMPLE_REFERENCE)) {
    const path = (match[1] as string).split('.');
    if (RESERVED_ROOTS.has(path[0] as string) || path.some((segment) => segment === 'this' || /^-?\d+$/.test(segment))) return undefined;
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({ path, text: path.join('.') });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.some((part) => typeof part === 'string' && (part.includes('{{') || part.includes('}}')))) return undefined;
  const only = parts.length === 1 ? parts[0] : undefined;
  return only !== undefined && typeof only !== 'string' ? { kind: 'whole', ref: only } : { kind: 'interpolated', parts };
}

/** Handlebars' own parser: exact syntax errors, and the features we refuse, named. */
export function compileWithHandlebars(text: string): { template: Template; problems: TemplateProblem[] } {
  let body;
  try {
    body = parse(text).body;
  } catch (error) {
    const lines = (error instanceof Error ? error.message : String(error)).split('\n');
    const expected = lines.find((line) => line.startsWith('Expecting')) ?? lines[0] ?? 'parse error';
    const hint = /\{\{[^}]*\.\d/.test(text)
      ? 'a list index is written with brackets: {{steps.s.outputs.[0]}}'
      : 'a reference is written {{name}} or {{steps.<id>.output.<field>}}; write \\{{ for literal braces';
    return { template: { kind: 'text', value: text }, problems: [{ code: 'E_TEMPLATE_SYNTAX', message: `template does not parse: ${expected}`, hint }] };
  }
  const parts: Array<string | TemplateRef> = [];
  const problems: TemplateProblem[] = [];
  for (const statement of body) {
    if (statement.type === 'ContentStatement') {
      if (statement.value) parts.push(statement.value);
    } else if (statement.type === 'MustacheStatement') {
      const ref = toReference(statement, problems);
      if (ref) parts.push(ref);
    } else if (statement.type !== 'CommentStatement') {
      problems.push({
        code: 'E_TEMPLATE_UNSUPPORTED',
        message: `${describeStatement(statement.type)} are not allowed in mission templates`,
        hint: 'missions only substitute values: use {{path}}; put logic in steps or conditions',
      });
    }
  }
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only !== undefined && typeof only !== 'string') return { template: { kind: 'whole', ref: only }, problems };
  return { template: { kind: 'interpolated', parts }, problems };
}

function toReference(
  statement: { path?: { type: string; original: string; parts?: string[]; data?: boolean; depth?: number }; params?: unknown[]; hash?: { pairs: unknown[] } },
  problems: TemplateProblem[],
): TemplateRef | undefined {
  const path = statement.path;
  const original = path?.original ?? '';
  const reject = (message: string, hint: string): undefined => {
    const problem: TemplateProblem = { code: 'E_TEMPLATE_UNSUPPORTED', message, hint };
    if (original) problem.needle = original;
    problems.push(problem);
    return undefined;
  };
  if (!path || path.type !== 'PathExpression' || !path.parts) {
    return reject(`{{${original}}} is a literal, not a reference`, 'write the literal text without braces');
  }
  if ((statement.params?.length ?? 0) > 0 || (statement.hash?.pairs.length ?? 0) > 0) {
    return reject(`{{${original} ...}} calls a helper; helpers are not allowed`, 'use a plain reference such as {{task_spec}}');
  }
  if (path.data) return reject(`{{${original}}} uses @data variables, which missions do not have`, 'name a for_each variable instead');
  if ((path.depth ?? 0) > 0 || /^(this|\.)(\.|\/|$)/.test(original)) {
    return reject(`{{${original}}} uses this or ../, which missions do not have`, 'name the input, step or loop variable directly');
  }
  return { path: [...path.parts], text: path.parts.join('.') };
}

function describeStatement(type: string): string {
  if (type === 'BlockStatement') return 'block helpers ({{#...}})';
  if (type === 'PartialStatement' || type === 'PartialBlockStatement') return 'partials ({{> ...}})';
  if (type === 'DecoratorStatement' || type === 'DecoratorBlock') return 'decorators ({{* ...}})';
  return `${type}s`;
}

/** Every reference in a template, in order. */
export function templateRefs(template: Template): TemplateRef[] {
  if (template.kind === 'whole') return [template.ref];
  if (template.kind === 'text') return [];
  return template.parts.filter((part): part is TemplateRef => typeof part !== 'string');
}

/**
 * Render a template with a resolver for its references. Whole-value templates return the raw
 * value; interpolated ones return a string (see `stringifyForTemplate`).
 */
export function renderTemplate(template: Template, resolve: (ref: TemplateRef) => unknown): unknown {
  if (template.kind === 'text') return template.value;
  if (template.kind === 'whole') return resolve(template.ref);
  let out = '';
  for (const part of template.parts) out += typeof part === 'string' ? part : stringifyForTemplate(resolve(part));
  return out;
}

/**
 * How a value reads inside a string: text as is, numbers and booleans as written, null as ''
 * (as handlebars does), lists and mappings as canonical JSON (handlebars would print
 * "[object Object]", which is never what a prompt wants).
 */
export function stringifyForTemplate(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return canonicalJson(value);
  return String(value);
}
