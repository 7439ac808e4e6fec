/**
 * The environment a step's child process gets (DESIGN.md "An external builder ... a minimal
 * environment"): a short allow-list of harmless variables (where programs are, locale,
 * terminal, home), never anything that looks like a credential, plus exactly what the host
 * names. A coding agent, a test run or git never inherits the host's model keys or tokens:
 * builder-written code could print them into a file the steward would commit.
 */

/** Passed through when set: where programs are, who and where the user is, locale, terminal. */
export const DEFAULT_CHILD_ENV: readonly string[] = Object.freeze(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'TZ', 'TMPDIR', 'NO_COLOR', 'CI']);

/** Passed through by prefix: locale, where programs keep their state (XDG), OpenCode's own settings (the default agent). */
export const DEFAULT_CHILD_ENV_PREFIXES: readonly string[] = Object.freeze(['LC_', 'XDG_', 'OPENCODE_']);

/** Names that look like credentials (the redaction list): never passed unless the host names them. */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT/i;

/** What the host lets children see beyond the default list. */
export interface ChildEnvPolicy {
  /** Variable names passed through from the host's environment (a name here may look like a secret: the host chose it). */
  allow?: readonly string[];
  /** Values set explicitly, e.g. a key the coding agent itself needs. */
  set?: Readonly<Record<string, string>>;
}

/** The child's environment: the allow-list (names and prefixes) from `source` less anything named like a secret, the host's names, its values, then `extra`. */
export function childEnvironment(policy: ChildEnvPolicy = {}, extra: Readonly<Record<string, string>> = {}, source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  const named = new Set(policy.allow ?? []);
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const listed = DEFAULT_CHILD_ENV.includes(name) || DEFAULT_CHILD_ENV_PREFIXES.some((prefix) => name.startsWith(prefix));
    if (named.has(name) || (listed && !SECRET_NAME.test(name))) env[name] = value;
  }
  return { ...env, ...policy.set, ...extra };
}
