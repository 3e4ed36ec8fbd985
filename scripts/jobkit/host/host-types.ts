import { dirname, join, normalize } from 'node:path/posix';
import { prettierPlugin, savePluginCaches } from '../core/prettier-plugins.js';
import type { VirtualTree } from '../core/tree.js';

/** The ESTree nodes of prettier's TypeScript parser that the kit reads. */
export interface TsNode {
  type: string;
  range: [number, number];
  [key: string]: unknown;
}

type Parse = (text: string, options: object) => { body: TsNode[] };
let parse: Parse | undefined;
const parsed = new Map<string, TsNode[] | undefined>();

/**
 * The syntax tree of a TypeScript file, from prettier's `typescript` parser (loaded
 * on first use: most runs never need it). Undefined when the file does not parse.
 */
export function parseTypeScript(source: string): TsNode[] | undefined {
  if (parsed.has(source)) return parsed.get(source);
  if (!parse) {
    parse = prettierPlugin<{ parsers: { typescript: { parse: Parse } } }>('typescript').parsers
      .typescript.parse;
    // Saved once it has parsed something, so the cache holds what parsing compiled.
    queueMicrotask(savePluginCaches);
  }
  let body: TsNode[] | undefined;
  try {
    body = parse(source, {}).body;
  } catch {
    body = undefined;
  }
  // A batch reads the same worker and email module for every job.
  if (parsed.size >= 16) parsed.clear();
  parsed.set(source, body);
  return body;
}

function isNode(value: unknown): value is TsNode {
  return typeof value === 'object' && value !== null && 'type' in value;
}

/** Every node below `nodes`, depth first. */
function* walk(nodes: readonly unknown[]): Generator<TsNode> {
  for (const node of nodes) {
    if (Array.isArray(node)) {
      yield* walk(node);
    } else if (isNode(node)) {
      yield node;
      for (const [key, child] of Object.entries(node)) {
        if (key !== 'range' && key !== 'loc' && typeof child === 'object') yield* walk([child]);
      }
    }
  }
}

const nameOf = (node: unknown): string | undefined =>
  isNode(node) && node.type === 'Identifier' ? (node.name as string) : undefined;

/** A member of a host's job data type, with its TypeScript type as written. */
export interface HostField {
  name: string;
  required: boolean;
  type: string;
}

/** A job data type a host declares itself, e.g. in its handler (ForgeStack's style). */
export interface HostDataType {
  /** The exported name, e.g. `WebhookDeliveryJobData`. */
  name: string;
  /** The file declaring it. */
  file: string;
  /** The package the worker imports it from (`@acme/shared`), when not a relative module. */
  fromPackage?: string;
  fields: HostField[];
}

/** `XJobData` of `helper<XJobData>(QUEUE_NAMES.KEY, …)` in the worker file. */
function registeredTypeName(body: TsNode[], key: string): string | undefined {
  for (const node of walk(body)) {
    if (node.type !== 'CallExpression') continue;
    const [queue] = node.arguments as unknown[];
    if (
      !isNode(queue) ||
      queue.type !== 'MemberExpression' ||
      nameOf(queue.object) !== 'QUEUE_NAMES' ||
      nameOf(queue.property) !== key
    ) {
      continue;
    }
    const typeArguments = (node.typeArguments ?? node.typeParameters) as TsNode | undefined;
    const [type] = (typeArguments?.params as TsNode[] | undefined) ?? [];
    if (type?.type === 'TSTypeReference') return nameOf(type.typeName);
  }
  return undefined;
}

/** The file a relative import names, as the tree has it (`./x` → `./x.ts` or `./x/index.ts`). */
function resolveImport(tree: VirtualTree, from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = normalize(join(dirname(from), specifier));
  return [base, `${base}.ts`, `${base}/index.ts`].find(
    (path) => path.endsWith('.ts') && tree.exists(path),
  );
}

/** Where the packages a worker imports by name live: `@scope/shared` → its index file. */
export type PackageFiles = Readonly<Record<string, string>>;

/** Where `name` comes from in `body`: its file and the name exported there. */
function importedFrom(
  tree: VirtualTree,
  file: string,
  body: TsNode[],
  name: string,
  packages: PackageFiles,
): { file: string; name: string; fromPackage?: string } | undefined {
  for (const node of body) {
    if (node.type !== 'ImportDeclaration') continue;
    for (const specifier of node.specifiers as TsNode[]) {
      if (specifier.type !== 'ImportSpecifier' || nameOf(specifier.local) !== name) continue;
      const from = (node.source as TsNode).value as string;
      const imported = nameOf(specifier.imported) ?? name;
      const packageIndex = packages[from];
      if (packageIndex) return { file: packageIndex, name: imported, fromPackage: from };
      const target = resolveImport(tree, file, from);
      return target ? { file: target, name: imported } : undefined;
    }
  }
  return undefined;
}

/**
 * The members of `name` as `file` exports it, declared there or re-exported from
 * a relative module (`export * from './types/jobs'`, `export { X } from './x'`),
 * followed a few levels deep as a package index does.
 */
function exportedType(
  tree: VirtualTree,
  file: string,
  name: string,
  depth = 0,
): HostDataType | undefined {
  const source = tree.read(file);
  const body = source === null ? undefined : parseTypeScript(source);
  if (source === null || !body) return undefined;
  const fields = exportedMembers(source, body, name);
  if (fields) return { name, file, fields };
  if (depth >= 3) return undefined;
  for (const node of body) {
    const from = (node.source as TsNode | null | undefined)?.value;
    if (typeof from !== 'string') continue;
    const reexported =
      node.type === 'ExportAllDeclaration'
        ? name
        : node.type === 'ExportNamedDeclaration'
          ? (node.specifiers as TsNode[])
              .filter((specifier) => nameOf(specifier.exported) === name)
              .map((specifier) => nameOf(specifier.local))[0]
          : undefined;
    const target = reexported ? resolveImport(tree, file, from) : undefined;
    const found =
      target && reexported ? exportedType(tree, target, reexported, depth + 1) : undefined;
    if (found) return { ...found, name };
  }
  return undefined;
}

/** The members of an exported interface or object type alias called `name`. */
export function exportedMembers(
  source: string,
  body: TsNode[],
  name: string,
): HostField[] | undefined {
  for (const statement of body) {
    if (statement.type !== 'ExportNamedDeclaration' || !isNode(statement.declaration)) continue;
    const declaration = statement.declaration;
    if (nameOf(declaration.id) !== name) continue;
    const members =
      declaration.type === 'TSInterfaceDeclaration'
        ? ((declaration.body as TsNode).body as TsNode[])
        : declaration.type === 'TSTypeAliasDeclaration' &&
            (declaration.typeAnnotation as TsNode).type === 'TSTypeLiteral'
          ? ((declaration.typeAnnotation as TsNode).members as TsNode[])
          : undefined;
    return members?.flatMap((member): HostField[] => {
      const key = nameOf(member.key);
      const annotation = (member.typeAnnotation as TsNode | undefined)?.typeAnnotation;
      if (member.type !== 'TSPropertySignature' || !key || !isNode(annotation)) return [];
      const type = source.slice(annotation.range[0], annotation.range[1]);
      return [{ name: key, required: member.optional !== true, type }];
    });
  }
  return undefined;
}

/**
 * The data type the worker registers queue `key` with, read with a parser: the type
 * argument of its registration, followed through the worker file's imports to the
 * file that declares and exports it (a handler, in ForgeStack; the shared package,
 * through its index). Undefined when the registration, the import or the
 * declaration is not there.
 */
export function readRegisteredDataType(
  tree: VirtualTree,
  workerFile: string,
  key: string,
  packages: PackageFiles,
): HostDataType | undefined {
  const workerSource = tree.read(workerFile);
  const workerBody = workerSource === null ? undefined : parseTypeScript(workerSource);
  if (!workerBody) return undefined;
  const typeName = registeredTypeName(workerBody, key);
  if (!typeName) return undefined;
  const origin = importedFrom(tree, workerFile, workerBody, typeName, packages);
  const type = origin ? exportedType(tree, origin.file, origin.name) : undefined;
  return type && origin?.fromPackage ? { ...type, fromPackage: origin.fromPackage } : type;
}
