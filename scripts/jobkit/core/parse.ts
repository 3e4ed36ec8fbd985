import type { Parser } from 'prettier';
import { HostError } from './errors.js';
import { prettierPlugin, savePluginCaches } from './prettier-plugins.js';
import { lineAt } from './scan.js';

/**
 * A node of the syntax tree prettier's `babel-ts` parser gives (Babel's AST), with
 * the offsets of its text in what was parsed.
 */
export interface SyntaxNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

let babelTs: Parser | undefined;

/**
 * Parses TypeScript with the `babel-ts` parser prettier ships (loaded on first use:
 * most runs never need it). Throws a HostError naming `file` and the line when the
 * text does not parse; `offset` is where `text` starts in that file.
 */
export function parseTypeScript(
  file: string,
  text: string,
  { offset = 0, fileText = text }: { offset?: number; fileText?: string } = {},
): SyntaxNode {
  if (!babelTs) {
    babelTs = prettierPlugin<{ parsers: Record<string, Parser> }>('babel').parsers[
      'babel-ts'
    ] as Parser;
    // Saved once it has parsed something, so the cache holds what parsing compiled.
    queueMicrotask(savePluginCaches);
  }
  try {
    // The parser reads none of the printing options that ParserOptions requires.
    return babelTs.parse(text, {} as Parameters<Parser['parse']>[1]) as unknown as SyntaxNode;
  } catch (error) {
    const at = (error as { loc?: { start?: { line?: number } } }).loc?.start?.line;
    const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/\s*\(\d+:\d+\)$/, '');
    const line = at === undefined ? '' : `:${lineAt(fileText, offset) + at - 1}`;
    throw new HostError(`${file}${line}: does not parse (${reason}); fix it, then run again`, file);
  }
}

/** The children of a node, in no particular order. */
export function childNodes(node: SyntaxNode): SyntaxNode[] {
  const children: SyntaxNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || key === 'comments' || key.endsWith('Comments')) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) children.push(item);
    } else if (isNode(value)) children.push(value);
  }
  return children;
}

function isNode(value: unknown): value is SyntaxNode {
  return (
    typeof value === 'object' && value !== null && typeof (value as SyntaxNode).type === 'string'
  );
}

/** Every node under `root` (itself included) for which `visit` returns true is collected. */
export function findNodes(root: SyntaxNode, wanted: (node: SyntaxNode) => boolean): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop() as SyntaxNode;
    if (wanted(node)) found.push(node);
    stack.push(...childNodes(node));
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The value of a string literal, or of a template literal without `${…}`; else undefined. */
export function staticString(node: SyntaxNode | undefined | null): string | undefined {
  if (!node) return undefined;
  if (node.type === 'StringLiteral') return node.value as string;
  if (node.type === 'TemplateLiteral' && (node.expressions as unknown[]).length === 0) {
    const [quasi] = node.quasis as { value: { cooked: string | null } }[];
    return quasi?.value.cooked ?? undefined;
  }
  return undefined;
}
