/**
 * Conditions (preconditions, gate `condition` params) -> JSON Logic.
 *
 *   approval.verdict == "approved"
 *   {{steps.review.output.verdict}} == 'approved' and not (risk in ["high", "critical"])
 *
 * Grammar: or / and / not (also || && !), comparisons == != < <= > >= in, `not in`, parentheses,
 * string / number / boolean / null literals, list literals, and dotted paths written bare or
 * inside `{{ }}`. A path is always a variable, never text substitution, so no value can change
 * the expression. `==` compiles to strict `===` (no type coercion: "1" == 1 is false).
 * A condition must be a comparison or boolean expression: a bare path or string is rejected,
 * so nothing is "truthy by accident". JSON Logic objects are accepted too, limited to the
 * operators in ALLOWED_OPERATORS, with `var` taking literal paths only.
 */
import { compileTemplate, templateRefs, type TemplateRef } from './template.ts';
import type { ConditionSource, JsonLogic } from './types.ts';

export interface CompiledCondition {
  /** JSON Logic with `{"var": "dotted.path"}` for each reference. */
  logic: JsonLogic | boolean;
  /** Every variable the condition reads. */
  refs: TemplateRef[];
}

export interface ConditionProblem {
  code: 'E_CONDITION_SYNTAX' | 'E_CONDITION_NOT_BOOLEAN' | 'E_CONDITION_OPERATOR';
  message: string;
  hint?: string;
  needle?: string;
}

/** JSON Logic operators a condition may use (no `method`, no data-scoped iteration). */
export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  '==', '===', '!=', '!==', '<', '<=', '>', '>=', 'in', 'and', 'or', '!', '!!', 'if', '?:',
  '+', '-', '*', '/', '%', 'min', 'max', 'cat', 'substr', 'var',
]);

/** Operators whose result is a boolean, so they may stand at the top of a condition. */
const BOOLEAN_OPERATORS: ReadonlySet<string> = new Set(['==', '===', '!=', '!==', '<', '<=', '>', '>=', 'in', 'and', 'or', '!', '!!']);

const COMPARISONS: Readonly<Record<string, string>> = { '==': '===', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

type Token =
  | { type: 'op'; value: string; at: number }
  | { type: 'word'; value: string; at: number }
  | { type: 'path'; value: string[]; text: string; at: number }
  | { type: 'literal'; value: string | number; at: number }
  | { type: 'end'; at: number };

/** Expression tree; `boolean` says whether the node is a comparison or boolean expression. */
interface Expr {
  logic: unknown;
  boolean: boolean;
}

/** Internal: aborts parsing with one problem. */
class ConditionError extends Error {
  constructor(
    readonly code: ConditionProblem['code'],
    message: string,
    readonly hint?: string,
    readonly needle?: string,
  ) {
    super(message);
  }
}

const NOT_BOOLEAN_HINT = 'compare it explicitly, e.g. `x == true` or `x != null`';

/** Compile a condition as written in YAML (string or JSON Logic object). */
/**
 * A condition compiled, or its problems; a condition that does not parse still gives the
 * references written in it (`refs`), so that an unknown step in it is reported with the syntax
 * error rather than only after it is fixed.
 */
export function compileCondition(source: ConditionSource): { condition?: CompiledCondition; problems: ConditionProblem[]; refs?: TemplateRef[] } {
  if (typeof source !== 'string') return compileJsonLogic(source);
  try {
    const parser = new Parser(source);
    const expr = parser.parse();
    if (!expr.boolean) {
      throw new ConditionError('E_CONDITION_NOT_BOOLEAN', `condition ${JSON.stringify(source)} is a value, not a comparison`, NOT_BOOLEAN_HINT);
    }
    return { condition: { logic: expr.logic as JsonLogic | boolean, refs: parser.refs }, problems: [] };
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    const problem: ConditionProblem = { code: error.code, message: error.message };
    if (error.hint) problem.hint = error.hint;
    if (error.needle) problem.needle = error.needle;
    const written = compileTemplate(source);
    return { problems: [problem], ...(written.problems.length === 0 ? { refs: templateRefs(written.template) } : {}) };
  }
}

class Parser {
  readonly refs: TemplateRef[] = [];
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  parse(): Expr {
    const expr = this.parseOr();
    const next = this.peek();
    if (next.type !== 'end') this.fail(next, 'an operator such as ==, and, or');
    return expr;
  }

  private parseOr(): Expr {
    return this.parseChain(() => this.parseAnd(), ['or', '||'], 'or');
  }

  private parseAnd(): Expr {
    return this.parseChain(() => this.parseNot(), ['and', '&&'], 'and');
  }

  private parseChain(next: () => Expr, spellings: string[], operator: string): Expr {
    const first = next();
    const operands = [first];
    while (this.accept(spellings)) operands.push(next());
    if (operands.length === 1) return first;
    operands.forEach((operand) => this.requireBoolean(operand, operator));
    return { logic: { [operator]: operands.map((operand) => operand.logic) }, boolean: true };
  }

  private parseNot(): Expr {
    if (this.accept(['not', '!'])) {
      const operand = this.parseNot();
      this.requireBoolean(operand, 'not');
      return { logic: { '!': [operand.logic] }, boolean: true };
    }
    return this.parseComparison();
  }

  private parseComparison(): Expr {
    const left = this.parseOperand();
    const token = this.peek();
    if (token.type === 'op' && COMPARISONS[token.value]) {
      this.index++;
      const right = this.parseOperand();
      return { logic: { [COMPARISONS[token.value] as string]: [left.logic, right.logic] }, boolean: true };
    }
    if (token.type === 'op' && token.value === '=') {
      throw new ConditionError('E_CONDITION_SYNTAX', `"=" at column ${token.at + 1} is not an operator`, 'use == to compare');
    }
    if (this.accept(['in'])) {
      return { logic: { in: [left.logic, this.parseOperand().logic] }, boolean: true };
    }
    if (token.type === 'word' && token.value === 'not' && this.peek(1).type === 'word' && (this.peek(1) as { value: string }).value === 'in') {
      this.index += 2;
      return { logic: { '!': [{ in: [left.logic, this.parseOperand().logic] }] }, boolean: true };
    }
    return left;
  }

  private parseOperand(): Expr {
    const token = this.next();
    switch (token.type) {
      case 'literal':
        return { logic: token.value, boolean: false };
      case 'path':
        this.refs.push({ path: token.value, text: token.text });
        return { logic: { var: token.text }, boolean: false };
      case 'word':
        if (token.value === 'true' || token.value === 'false') return { logic: token.value === 'true', boolean: true };
        if (token.value === 'null') return { logic: null, boolean: false };
        return this.fail(token, 'a value');
      case 'op':
        if (token.value === '(') {
          const inner = this.parseOr();
          this.expect(')');
          return inner;
        }
        if (token.value === '[') return this.parseList();
        return this.fail(token, 'a value');
      default:
        return this.fail(token, 'a value');
    }
  }

  private parseList(): Expr {
    const items: unknown[] = [];
    if (!this.accept([']'])) {
      do items.push(this.parseOperand().logic);
      while (this.accept([',']));
      this.expect(']');
    }
    return { logic: items, boolean: false };
  }

  private requireBoolean(expr: Expr, operator: string): void {
    if (!expr.boolean) {
      throw new ConditionError('E_CONDITION_NOT_BOOLEAN', `each side of "${operator}" must be a comparison or boolean expression`, NOT_BOOLEAN_HINT);
    }
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.index++;
    return token;
  }

  private accept(values: string[]): boolean {
    const token = this.peek();
    if ((token.type === 'op' || token.type === 'word') && values.includes(token.value)) {
      this.index++;
      return true;
    }
    return false;
  }

  private expect(value: string): void {
    if (!this.accept([value])) this.fail(this.peek(), `"${value}"`);
  }

  private fail(token: Token, expected: string): never {
    const found = token.type === 'end' ? 'the end' : JSON.stringify(this.source.slice(token.at).split(/\s/)[0]);
    const where = token.type === 'end' ? '' : ` at column ${token.at + 1}`;
    throw new ConditionError('E_CONDITION_SYNTAX', `expected ${expected} but found ${found}${where}`);
  }
}

const WORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
const TWO_CHAR_OPS = ['==', '!=', '<=', '>=', '&&', '||'];
const ONE_CHAR_OPS = '<>!()[],=';
const PATH = /[A-Za-z_][A-Za-z0-9_-]*(?:\.(?:[A-Za-z0-9_-]+))*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source[at] as string;
    if (/\s/.test(char)) {
      at++;
      continue;
    }
    if (source.startsWith('{{', at)) {
      const close = source.indexOf('}}', at);
      const inner = close < 0 ? '' : source.slice(at + 2, close).trim();
      PATH.lastIndex = 0;
      const match = PATH.exec(inner);
      if (close < 0 || !match || match[0] !== inner) {
        throw new ConditionError(
          'E_CONDITION_SYNTAX',
          `{{ }} at column ${at + 1} must hold one dotted path`,
          'write {{steps.<id>.output.<field>}} or a bare path',
          source.slice(at, close < 0 ? undefined : close + 2),
        );
      }
      tokens.push({ type: 'path', value: inner.split('.'), text: inner, at });
      at = close + 2;
      continue;
    }
    if (char === '"' || char === "'") {
      const { value, end } = readString(source, at);
      tokens.push({ type: 'literal', value, at });
      at = end;
      continue;
    }
    NUMBER.lastIndex = at;
    const number = /[-\d]/.test(char) ? NUMBER.exec(source) : null;
    if (number) {
      tokens.push({ type: 'literal', value: Number(number[0]), at });
      at += number[0].length;
      continue;
    }
    PATH.lastIndex = at;
    const path = PATH.exec(source);
    if (path) {
      const text = path[0];
      tokens.push(WORDS.has(text) ? { type: 'word', value: text, at } : { type: 'path', value: text.split('.'), text, at });
      at += text.length;
      continue;
    }
    const two = source.slice(at, at + 2);
    if (TWO_CHAR_OPS.includes(two)) {
      tokens.push({ type: 'op', value: two, at });
      at += 2;
      continue;
    }
    if (ONE_CHAR_OPS.includes(char)) {
      tokens.push({ type: 'op', value: char, at });
      at++;
      continue;
    }
    throw new ConditionError('E_CONDITION_SYNTAX', `unexpected ${JSON.stringify(char)} at column ${at + 1}`, char === '$' ? 'write {{path}}, not ${{ path }}' : undefined);
  }
  tokens.push({ type: 'end', at });
  return tokens;
}

const STRING_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

function readString(source: string, start: number): { value: string; end: number } {
  const quote = source[start];
  let value = '';
  for (let at = start + 1; at < source.length; at++) {
    const char = source[at] as string;
    if (char === quote) return { value, end: at + 1 };
    if (char === '\\') {
      const escaped = STRING_ESCAPES[source[at + 1] ?? ''];
      if (escaped === undefined) throw new ConditionError('E_CONDITION_SYNTAX', `unknown escape "\\${source[at + 1] ?? ''}" at column ${at + 1}`);
      value += escaped;
      at++;
    } else {
      value += char;
    }
  }
  throw new ConditionError('E_CONDITION_SYNTAX', `string starting at column ${start + 1} is not closed`, `end it with ${quote}`);
}

function compileJsonLogic(source: JsonLogic): { condition?: CompiledCondition; problems: ConditionProblem[] } {
  const problems: ConditionProblem[] = [];
  const refs: TemplateRef[] = [];
  const top = Object.keys(source);
  if (top.length !== 1 || !BOOLEAN_OPERATORS.has(top[0] as string)) {
    problems.push({
      code: 'E_CONDITION_NOT_BOOLEAN',
      message: `a JSON Logic condition must be one comparison or boolean operator, got ${JSON.stringify(top)}`,
      hint: `use one of ${[...BOOLEAN_OPERATORS].join(' ')}`,
    });
  }
  walkJsonLogic(source, problems, refs);
  return problems.length > 0 ? { problems } : { condition: { logic: source, refs }, problems };
}

function walkJsonLogic(node: unknown, problems: ConditionProblem[], refs: TemplateRef[]): void {
  if (Array.isArray(node)) {
    node.forEach((item) => walkJsonLogic(item, problems, refs));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const entries = Object.entries(node);
  if (entries.length !== 1) {
    problems.push({ code: 'E_CONDITION_OPERATOR', message: 'a JSON Logic operation is a mapping with exactly one key (the operator)' });
    return;
  }
  const [operator, args] = entries[0] as [string, unknown];
  if (!ALLOWED_OPERATORS.has(operator)) {
    problems.push({
      code: 'E_CONDITION_OPERATOR',
      message: `JSON Logic operator "${operator}" is not allowed in conditions`,
      hint: `allowed: ${[...ALLOWED_OPERATORS].join(' ')}`,
    });
    return;
  }
  if (operator === 'var') {
    const path = Array.isArray(args) ? args[0] : args;
    if (typeof path !== 'string' || path === '') {
      problems.push({ code: 'E_CONDITION_OPERATOR', message: '"var" must name a literal, non-empty path', hint: 'write {"var": "approval.verdict"}' });
      return;
    }
    refs.push({ path: path.split('.'), text: path });
    return;
  }
  walkJsonLogic(args, problems, refs);
}
