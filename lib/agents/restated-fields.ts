/**
 * Whether the prose of a reply (the text around its packet, and blocks that are not data)
 * gives a field of the packet another value: a second answer, so the reply is refused.
 *
 * A field whose schema lists its values (a seat's verdict): any line naming the field, however
 * (`The verdict is reject.`, `**Verdict:** \`reject\``, `<verdict>reject</verdict>`), that also
 * names another of its values. Another text field: a word after its name and a separator
 * (`result: reject`). Case aside. At most MAX_FIELDS fields are looked for, so a packet of
 * thousands of keys beside megabytes of prose costs a bounded number of passes.
 */
const MAX_FIELDS = 64;

/** The allowed values of a packet's top-level fields, from its schema (`enum` of strings). */
export type FieldValues = Readonly<Record<string, readonly string[]>>;

export function restatesField(prose: string, packet: Record<string, unknown>, values: FieldValues): boolean {
  if (prose.trim() === '') return false;
  const lines = prose.toLowerCase().split(/\r?\n/);
  const fields = Object.entries(packet)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && /^[\w-]{1,64}$/.test(entry[0]))
    .slice(0, MAX_FIELDS);
  return fields.some(([key, value]) => {
    const name = new RegExp(`\\b${key.toLowerCase()}\\b`);
    const naming = lines.filter((line) => name.test(line));
    if (naming.length === 0) return false;
    const allowed = values[key];
    if (allowed) {
      const others = allowed.map((v) => v.toLowerCase()).filter((v) => v !== value.toLowerCase() && /^[\w-]+$/.test(v));
      return others.some((other) => naming.some((line) => new RegExp(`(?<![\\w-])${other}(?![\\w-])`).test(line)));
    }
    const said = new RegExp(`\\b${key.toLowerCase()}\\b[\\s"'*_\`\\[\\](){}<>]*(?:[:=：]|\\s-\\s|\\sis\\s)[\\s"'*_\`\\[\\](){}<>]*([a-z_][\\w-]*)`, 'g');
    return naming.some((line) => [...line.matchAll(said)].some((match) => match[1] !== value.toLowerCase()));
  });
}

/** The enum values of a schema's top-level string fields. */
export function fieldValues(schema: object | undefined): FieldValues {
  const properties = (schema as { properties?: Record<string, { enum?: unknown[] }> } | undefined)?.properties ?? {};
  const values: Record<string, string[]> = {};
  for (const [key, property] of Object.entries(properties)) {
    const allowed = property?.enum?.filter((v): v is string => typeof v === 'string');
    if (allowed && allowed.length > 0) values[key] = allowed;
  }
  return values;
}
