/**
 * The type names missions give their inputs and outputs (`str`, `list[str]`, `dict`,
 * `BUILD_PACKET` ...): parsing a name, and checking a value against it. Packet types are checked
 * as mappings here; their full JSON Schemas are applied by the packet layer.
 */

export type ValueType =
  | { kind: 'str' | 'int' | 'float' | 'bool' | 'dict' | 'any' }
  | { kind: 'list'; items: ValueType }
  | { kind: 'packet'; name: string };

const ALIASES: Readonly<Record<string, 'str' | 'int' | 'float' | 'bool' | 'dict' | 'any'>> = {
  str: 'str',
  string: 'str',
  int: 'int',
  integer: 'int',
  float: 'float',
  number: 'float',
  bool: 'bool',
  boolean: 'bool',
  dict: 'dict',
  object: 'dict',
  any: 'any',
};

const PACKET_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Every spelling accepted as a type, for "did you mean" hints. */
export const TYPE_SPELLINGS: readonly string[] = [...Object.keys(ALIASES), 'list', 'list[str]'];

/** Parse a type name; undefined when it is not one. */
export function parseValueType(text: string): ValueType | undefined {
  const name = text.trim();
  const alias = ALIASES[name];
  if (alias) return { kind: alias };
  if (name === 'list' || name === 'array') return { kind: 'list', items: { kind: 'any' } };
  const list = /^list\[(.+)\]$/.exec(name);
  if (list) {
    const items = parseValueType(list[1] as string);
    return items && { kind: 'list', items };
  }
  if (PACKET_NAME.test(name)) return { kind: 'packet', name };
  return undefined;
}

/** Why `value` does not have type `type`, or undefined when it does. */
export function typeMismatch(type: ValueType, value: unknown): string | undefined {
  switch (type.kind) {
    case 'any':
      return undefined;
    case 'str':
      return typeof value === 'string' ? undefined : `expected a string, got ${describe(value)}`;
    case 'int':
      return Number.isInteger(value) ? undefined : `expected an integer, got ${describe(value)}`;
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `expected a number, got ${describe(value)}`;
    case 'bool':
      return typeof value === 'boolean' ? undefined : `expected true or false, got ${describe(value)}`;
    case 'dict':
      return isPlainMapping(value) ? undefined : `expected a mapping, got ${describe(value)}`;
    case 'packet':
      return isPlainMapping(value) ? undefined : `expected a ${type.name} mapping, got ${describe(value)}`;
    case 'list': {
      if (!Array.isArray(value)) return `expected a list, got ${describe(value)}`;
      for (let i = 0; i < value.length; i++) {
        const problem = typeMismatch(type.items, value[i]);
        if (problem) return `item ${i}: ${problem}`;
      }
      return undefined;
    }
  }
}

function isPlainMapping(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
