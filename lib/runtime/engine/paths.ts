/** A path as the journal and the store show it: relative to the repository when inside it. */
export function relativeTo(root: string, path: string): string {
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}
