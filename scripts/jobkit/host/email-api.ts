import { HostError } from '../core/errors.js';
import type { VirtualTree } from '../core/tree.js';
import { exportedMembers, parseTypeScript, type HostField, type TsNode } from './host-types.js';

/**
 * How the host sends email, read from its email module's exports:
 * - `service`: the kit's own `emailService.send(message, signal)` with `EmailMessage`;
 * - `function`: a function such as ForgeStack's `sendEmail(options: SendEmailOptions)`,
 *   whose options type may require more than `to` and `subject` (`html`).
 */
export type EmailApi =
  | { style: 'service' }
  | {
      style: 'function';
      /** The exported function, e.g. `sendEmail`. */
      name: string;
      /** Its options type, e.g. `SendEmailOptions`. */
      optionsType: string;
      /** The options' members, to fill the generated test's message. */
      members: HostField[];
      /** Whether it takes a second argument, passed the step's signal. */
      takesSignal: boolean;
      /** Whether its result has an `id`, returned as the step's `emailId`. */
      returnsId: boolean;
    };

type FunctionApi = Extract<EmailApi, { style: 'function' }>;

const nameOf = (node: unknown): string | undefined =>
  typeof node === 'object' && node !== null && (node as TsNode).type === 'Identifier'
    ? ((node as TsNode).name as string)
    : undefined;

/** An exported function whose first parameter is an exported options type with `to`. */
function emailFunction(source: string, body: TsNode[], node: TsNode): FunctionApi | undefined {
  const declaration = node.declaration as TsNode | undefined;
  if (node.type !== 'ExportNamedDeclaration' || declaration?.type !== 'FunctionDeclaration') {
    return undefined;
  }
  const name = nameOf(declaration.id);
  const [options, second] = declaration.params as TsNode[];
  const annotation = (options?.typeAnnotation as TsNode | undefined)?.typeAnnotation as
    TsNode | undefined;
  const optionsType =
    annotation?.type === 'TSTypeReference' ? nameOf(annotation.typeName) : undefined;
  if (!name || !optionsType) return undefined;
  const members = exportedMembers(source, body, optionsType);
  if (!members?.some((member) => member.name === 'to')) return undefined;
  const returnType = declaration.returnType as TsNode | undefined;
  const returned = returnType ? source.slice(returnType.range[0], returnType.range[1]) : '';
  return {
    style: 'function',
    name,
    optionsType,
    members,
    takesSignal: second !== undefined,
    returnsId: /\bid\s*:\s*string\b/.test(returned),
  };
}

/**
 * The host's email API. A module exporting one email function (`to` in its options)
 * is called as that function; several are told apart by `emailFunction` in the
 * `jobkit` section; otherwise the kit's `emailService.send` is used.
 */
export function readEmailApi(
  tree: VirtualTree,
  module: string,
  configured: string | undefined,
): EmailApi {
  const source = tree.read(module);
  const body = source === null ? undefined : parseTypeScript(source);
  if (source === null || !body) return { style: 'service' };
  const functions = body.flatMap((node) => emailFunction(source, body, node) ?? []);
  if (configured !== undefined) {
    const chosen = functions.find((candidate) => candidate.name === configured);
    if (chosen) return chosen;
    throw new HostError(
      `package.json: jobkit.emailFunction is "${configured}", but ${module} exports no such function taking an options type with \`to\`; exported: ${functions.map((candidate) => candidate.name).join(', ') || 'none'}`,
      'package.json',
    );
  }
  if (functions.length > 1) {
    throw new HostError(
      `${module}: several functions could send the email (${functions.map((candidate) => candidate.name).join(', ')}); name one with "jobkit": { "emailFunction": "<name>" } in package.json`,
      module,
    );
  }
  return functions[0] ?? { style: 'service' };
}
