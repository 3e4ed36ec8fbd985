import { diffLines } from 'diff';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeRegExp } from '../jobkit/core/regexp.js';
import type { GeneratedFile } from './hosts.js';

/** Text inserted right after `anchor` (unique in the file before and after); '' is the start. */
export interface Insertion {
  anchor: string;
  text: string;
}

/** What one generated job does to a host, as plain data the baseline scripts replay. */
export interface EditScript {
  created: { path: string; content: string }[];
  modified: { path: string; insertions: Insertion[] }[];
}

function occurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + 1)) count += 1;
  return count;
}

/** The shortest run of whole lines ending at `end` of `before` that occurs once in both texts. */
function uniqueAnchor(before: string, after: string, end: number): string {
  if (end === 0) return '';
  for (
    let start = before.lastIndexOf('\n', end - 2);
    ;
    start = before.lastIndexOf('\n', start - 1)
  ) {
    const anchor = before.slice(start + 1, end);
    if (occurrences(before, anchor) === 1 && occurrences(after, anchor) === 1) return anchor;
    if (start <= 0) throw new Error(`no unique anchor before offset ${end}`);
  }
}

/** The kit's output for one job as insertions: the edits a hand-written script makes. */
export function editScript(files: readonly GeneratedFile[]): EditScript {
  const script: EditScript = { created: [], modified: [] };
  for (const file of files) {
    if (file.before === null) {
      script.created.push({ path: file.path, content: file.after });
      continue;
    }
    const insertions: Insertion[] = [];
    let offset = 0;
    for (const part of diffLines(file.before, file.after)) {
      if (part.removed) throw new Error(`${file.path}: the job changed existing lines`);
      if (part.added) {
        insertions.push({
          anchor: uniqueAnchor(file.before, file.after, offset),
          text: part.value,
        });
      } else offset += part.value.length;
    }
    script.modified.push({ path: file.path, insertions });
  }
  return script;
}

/**
 * A plain Node script applying an edit script to the host given as its argument:
 * read, splice, write. With `prettier`, every file also goes through prettier's
 * API (resolveConfig + format), as the kit does, before anything is written.
 */
function plainEditsSource(editsFile: string, prettierUrl: string | undefined): string {
  return `import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
${prettierUrl ? `import * as prettier from ${JSON.stringify(prettierUrl)};\n` : ''}
const root = process.argv[2];
const edits = JSON.parse(readFileSync(${JSON.stringify(editsFile)}, 'utf8'));
const out = [];
for (const file of edits.modified) {
  let text = readFileSync(join(root, file.path), 'utf8');
  for (const { anchor, text: insert } of file.insertions) {
    const at = anchor === '' ? 0 : text.indexOf(anchor);
    if (at === -1) throw new Error(file.path + ': anchor not found');
    const end = at + anchor.length;
    text = text.slice(0, end) + insert + text.slice(end);
  }
  out.push({ path: file.path, content: text });
}
out.push(...edits.created);
${
  prettierUrl
    ? `await Promise.all(
  out.map(async (file) => {
    const filepath = join(root, file.path);
    const options = (await prettier.resolveConfig(filepath, { editorconfig: true })) ?? {};
    file.content = await prettier.format(file.content, { ...options, filepath });
  }),
);
`
    : ''
}for (const file of out) writeFileSync(join(root, file.path), file.content);
`;
}

/** A script that only formats `paths` of the host given as its argument with prettier's API. */
function prettierSource(prettierUrl: string, paths: readonly string[]): string {
  return `import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from ${JSON.stringify(prettierUrl)};

const root = process.argv[2];
await Promise.all(
  ${JSON.stringify(paths)}.map(async (path) => {
    const filepath = join(root, path);
    const options = (await prettier.resolveConfig(filepath, { editorconfig: true })) ?? {};
    await prettier.format(readFileSync(filepath, 'utf8'), { ...options, filepath });
  }),
);
`;
}

/** Handlebars text that renders to `text` exactly: mustaches escaped. */
function handlebarsLiteral(text: string): string {
  // A backslash before `{{` is itself an escape in Handlebars; generated code has none.
  if (text.includes('\\{{')) throw new Error('cannot express a backslash before {{ in Handlebars');
  return text.replace(/\{\{/g, '\\{{');
}

/**
 * A one-file TypeScript plopfile doing the same job with plop's own actions: one
 * prompt (the job name, used in the new files' paths), `add` for the new files and
 * one `modify` per insertion. Templates are the kit's output, so both write the
 * same bytes.
 */
function plopfileSource(script: EditScript, kebab: string): string {
  const actions = [
    ...script.created.map((file) => ({
      type: 'add',
      path: file.path.split(kebab).join('{{dashCase name}}'),
      template: handlebarsLiteral(file.content),
    })),
    ...script.modified.flatMap((file) =>
      file.insertions.map((insertion) => ({
        type: 'modify',
        path: file.path,
        // plop passes the rendered template to String.replace: `$$` is a literal `$`.
        pattern: `^${escapeRegExp(insertion.anchor)}`,
        template: `$&${handlebarsLiteral(insertion.text).replace(/\$/g, '$$$$')}`,
      })),
    ),
  ];
  const printed = actions
    .map((action) => {
      const { pattern, ...rest } = action as { pattern?: string };
      const fields = Object.entries(rest).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
      if (pattern !== undefined)
        fields.push(`pattern: new RegExp(${JSON.stringify(pattern)}, 'm')`);
      return `      { ${fields.join(', ')} },`;
    })
    .join('\n');
  return `import type { NodePlopAPI } from 'plop';

export default function plopfile(plop: NodePlopAPI): void {
  plop.setGenerator('job', {
    description: 'Add a BullMQ job (baseline: plop built-ins only)',
    prompts: [{ type: 'input', name: 'name', message: 'Job name' }],
    actions: [
${printed}
    ],
  });
}
`;
}

export interface BaselineFiles {
  plainEdits: string;
  plainEditsPrettier: string;
  prettierFormat: string;
  plopfile: string;
}

/** Writes the baseline programs into `dir`. */
export function writeBaselines(
  dir: string,
  script: EditScript,
  kebab: string,
  prettierUrl: string,
): BaselineFiles {
  const editsFile = join(dir, 'edits.json');
  writeFileSync(editsFile, JSON.stringify(script));
  const files: BaselineFiles = {
    plainEdits: join(dir, 'plain-edits.mjs'),
    plainEditsPrettier: join(dir, 'plain-edits-prettier.mjs'),
    prettierFormat: join(dir, 'prettier-format.mjs'),
    plopfile: join(dir, 'plopfile.ts'),
  };
  writeFileSync(files.plainEdits, plainEditsSource(editsFile, undefined));
  writeFileSync(files.plainEditsPrettier, plainEditsSource(editsFile, prettierUrl));
  const paths = [...script.modified.map((file) => file.path), ...script.created.map((f) => f.path)];
  writeFileSync(files.prettierFormat, prettierSource(prettierUrl, paths));
  writeFileSync(files.plopfile, plopfileSource(script, kebab));
  return files;
}
