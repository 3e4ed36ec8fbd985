import { posix } from 'node:path';
import { parseTypeScript, type SyntaxNode } from '../core/parse.js';
import { codeOf, lineAt } from '../core/scan.js';
import type { VirtualTree } from '../core/tree.js';

/**
 * Which names a module already exports or binds, for the names the kit is about to
 * add there. A file that does not contain a wanted name at all cannot declare it
 * and is only scanned for `export * from`; the few that do are read by the parser,
 * so a name in a comment or a string is no clash.
 */

/** Where a name is declared: `file:line`. */
export type Declared = Map<string, string>;

/** The names a declaration statement binds (its id, or each variable's). */
function declaredNames(node: SyntaxNode | null | undefined): SyntaxNode[] {
  if (!node) return [];
  if (node.type === 'VariableDeclaration') {
    return (node.declarations as SyntaxNode[]).flatMap((declarator) => {
      const id = declarator.id as SyntaxNode;
      return id.type === 'Identifier' ? [id] : [];
    });
  }
  const id = node.id as SyntaxNode | null | undefined;
  return id?.type === 'Identifier' ? [id] : [];
}

function nameOf(node: SyntaxNode): string {
  return node.type === 'StringLiteral' ? (node.value as string) : (node.name as string);
}

function statementsOf(file: string, source: string): SyntaxNode[] {
  return (parseTypeScript(file, source).program as SyntaxNode).body as SyntaxNode[];
}

/** A map of the wanted names met, each with where it was met first, and the function that meets one. */
function collector(
  file: string,
  source: string,
  wanted: ReadonlySet<string>,
): { found: Declared; add: (node: SyntaxNode) => void } {
  const found: Declared = new Map();
  const add = (node: SyntaxNode): void => {
    const name = nameOf(node);
    if (wanted.has(name) && !found.has(name))
      found.set(name, `${file}:${lineAt(source, node.start)}`);
  };
  return { found, add };
}

/** The wanted names `file` exports itself (not through `export *`), with their places. */
function ownExports(file: string, source: string, wanted: ReadonlySet<string>): Declared {
  const { found, add } = collector(file, source, wanted);
  for (const statement of statementsOf(file, source)) {
    if (statement.type === 'ExportNamedDeclaration') {
      declaredNames(statement.declaration as SyntaxNode | null).forEach(add);
      for (const specifier of statement.specifiers as SyntaxNode[])
        add(specifier.exported as SyntaxNode);
    } else if (statement.type === 'ExportAllDeclaration' && statement.exported) {
      add(statement.exported as SyntaxNode);
    }
  }
  return found;
}

/**
 * The module a relative specifier names, among the files of the tree; undefined if
 * none. A generated contract is taken as it is named, without a look on disk.
 */
function resolveModule(
  tree: VirtualTree,
  from: string,
  specifier: string,
  generated: (module: string) => string[] | undefined,
): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const dir = posix.dirname(from);
  // `./x`, as nearly every re-export is written, needs no normalizing.
  const joined =
    specifier.startsWith('./') && !specifier.includes('/.', 1)
      ? `${dir}/${specifier.slice(2)}`
      : posix.join(dir, specifier);
  const base = joined.replace(/\.[cm]?js$/, '');
  if (generated(`${base}.ts`)) return `${base}.ts`;
  return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, base].find(
    (candidate) => candidate.endsWith('.ts') && tree.exists(candidate),
  );
}

const EXPORT_STAR = /\bexport\s*\*\s*(?:as\s+[\w$]+\s*)?from\s*(['"])/g;

/** The modules `source` re-exports whole with `export * from '…'`. */
function starExports(
  tree: VirtualTree,
  file: string,
  source: string,
  generated: (module: string) => string[] | undefined,
): string[] {
  // Most modules have none: the text is scanned only when it might.
  if (!/\bexport\s*\*/.test(source)) return [];
  const code = codeOf(source);
  return [...code.matchAll(EXPORT_STAR)].flatMap((match) => {
    if (/\bas\b/.test(match[0])) return [];
    const open = match.index + match[0].length;
    const close = code.indexOf(match[1] as string, open);
    return resolveModule(tree, file, source.slice(open, close), generated) ?? [];
  });
}

/**
 * The wanted names `file` exports, directly or through `export * from` chains, each
 * with the place that declares it. A module `generated(module)` names as a job's
 * contract (`<contractsDir>/<name>.job.ts`) is taken to export that job's names,
 * which it gives, without being read: a host with a thousand jobs re-exports a
 * thousand contracts, and reading them all would cost more than the rest of a run.
 */
export function exportedNames(
  tree: VirtualTree,
  file: string,
  wanted: ReadonlySet<string>,
  generated: (module: string) => string[] | undefined = () => undefined,
): Declared {
  const found: Declared = new Map();
  const seen = new Set<string>();
  const pending = [file];
  while (pending.length > 0) {
    const module = pending.pop() as string;
    if (seen.has(module)) continue;
    seen.add(module);
    const known = generated(module);
    if (known) {
      for (const name of known)
        if (wanted.has(name) && !found.has(name)) found.set(name, `${module}:1`);
      continue;
    }
    const source = tree.read(module);
    if (source === null) continue;
    if ([...wanted].some((name) => source.includes(name))) {
      for (const [name, place] of ownExports(module, source, wanted))
        if (!found.has(name)) found.set(name, place);
    }
    pending.push(...starExports(tree, module, source, generated));
  }
  return found;
}

/**
 * The wanted names `file` binds at its top level (imports and declarations), with
 * their places; a name imported under its own name from the module `reused` gives
 * for it is the one the kit would import, and no clash.
 */
export function boundNames(
  tree: VirtualTree,
  file: string,
  wanted: ReadonlySet<string>,
  reused: ReadonlyMap<string, string> = new Map(),
): Declared {
  const source = tree.read(file);
  if (source === null || ![...wanted].some((name) => source.includes(name))) return new Map();
  const { found, add } = collector(file, source, wanted);
  for (const statement of statementsOf(file, source)) {
    if (statement.type === 'ImportDeclaration') {
      const module = (statement.source as SyntaxNode).value as string;
      for (const specifier of statement.specifiers as SyntaxNode[]) {
        const local = specifier.local as SyntaxNode;
        const imported = specifier.imported as SyntaxNode | undefined;
        const same = imported !== undefined && nameOf(imported) === nameOf(local);
        if (!same || reused.get(nameOf(local)) !== module) add(local);
      }
    } else if (
      statement.type === 'ExportNamedDeclaration' ||
      statement.type === 'ExportDefaultDeclaration'
    ) {
      declaredNames(statement.declaration as SyntaxNode | null).forEach(add);
    } else declaredNames(statement).forEach(add);
  }
  return found;
}

/** Members named `name` of the classes declared in `file`, with their places. */
export function classMembers(tree: VirtualTree, file: string, name: string): string[] {
  const source = tree.read(file);
  if (source === null || !source.includes(name)) return [];
  return statementsOf(file, source).flatMap((statement) => {
    const declaration =
      statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration'
        ? (statement.declaration as SyntaxNode | null)
        : statement;
    if (declaration?.type !== 'ClassDeclaration') return [];
    return ((declaration.body as SyntaxNode).body as SyntaxNode[]).flatMap((member) => {
      const key = member.key as SyntaxNode | undefined;
      return key && !member.computed && nameOf(key) === name
        ? [`${file}:${lineAt(source, member.start)}`]
        : [];
    });
  });
}
