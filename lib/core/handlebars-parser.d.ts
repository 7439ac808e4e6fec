// Types for the one handlebars module we load: its parser, without the compiler and runtime
// (a third of the start-up cost). Only the AST fields template.ts reads are declared.
declare module 'handlebars/dist/cjs/handlebars/compiler/base.js' {
  interface HbsPosition {
    line: number;
    column: number;
  }
  interface HbsNode {
    type: string;
    loc?: { start: HbsPosition };
  }
  interface HbsPath extends HbsNode {
    parts?: string[];
    original: string;
    data?: boolean;
    depth?: number;
  }
  interface HbsStatement extends HbsNode {
    value?: string;
    path?: HbsPath;
    params?: unknown[];
    hash?: { pairs: unknown[] };
  }
  export function parse(input: string): { body: HbsStatement[] };
}
