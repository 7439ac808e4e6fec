/**
 * import(), for the modules the library loads at run time (ajv, a host's --handlers and
 * --registry modules). Code that V8 compiled from its code cache cannot import(): the CLI's
 * launcher (cli/lifeos-mission.cts) runs the validate bundle that way and hands it its own import
 * as the wrapper parameter `__lifeos_import`. Everywhere else that name is not defined, and this
 * is a plain import().
 */
declare const __lifeos_import: ((specifier: string) => Promise<unknown>) | undefined;

export function importModule(specifier: string): Promise<unknown> {
  return typeof __lifeos_import === 'function' ? __lifeos_import(specifier) : import(specifier);
}
