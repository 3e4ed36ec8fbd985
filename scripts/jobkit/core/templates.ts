import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type HandlebarsNamespace from 'handlebars';
import { KitError } from './errors.js';
import { docCommentBody, stringLiteral } from './text.js';

type Handlebars = typeof HandlebarsNamespace;
type TemplateSpecification = Parameters<Handlebars['template']>[0];

export interface TemplateEngine {
  /** Renders `plop-templates/<path>` with `data`. */
  render(path: string, data: object): string;
}

const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;

interface Precompiled {
  /** The folder the templates were read from when the kit was built. */
  templatesDir: string;
  specs: Record<string, TemplateSpecification>;
}

/**
 * The templates the kit's build precompiled (scripts/bin/kit.mjs), next to the
 * compiled kit. Absent when the kit runs from its TypeScript sources (tests, plop):
 * then templates are compiled when first used.
 */
async function loadPrecompiled(): Promise<Precompiled | undefined> {
  try {
    return (await import(new URL('../templates.js', import.meta.url).href)) as Precompiled;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

const precompiled = await loadPrecompiled();
// Not named `require`: the compiled kit's bundles declare that name themselves.
const requireModule = createRequire(import.meta.url);

/**
 * Handlebars set up for code, not HTML: nothing is HTML-escaped, a missing value
 * is an error instead of an empty string, and free text goes through `doc` (inside
 * a block comment) or `str` (a string literal), which keep it verbatim and safe.
 * Templates of the folder the kit was built from come precompiled, so only
 * handlebars' small runtime loads; any other folder (a copy under test) is compiled.
 */
export function createTemplateEngine(templatesDir: string): TemplateEngine {
  const specs =
    precompiled && resolve(precompiled.templatesDir) === resolve(templatesDir)
      ? precompiled.specs
      : {};
  // Loaded on demand and synchronously: the full compiler only when a template has
  // no precompiled form.
  let environment: Handlebars | undefined;
  const handlebars = (full: boolean): Handlebars => {
    if (environment && (!full || 'compile' in environment)) return environment;
    environment = (
      requireModule(full ? 'handlebars' : 'handlebars/runtime.js') as Handlebars
    ).create();
    environment.registerHelper('doc', (text: unknown) => docCommentBody(String(text)));
    environment.registerHelper('str', (text: unknown) => stringLiteral(String(text)));
    return environment;
  };
  const compiled = new Map<string, HandlebarsNamespace.TemplateDelegate>();

  return {
    render(path, data) {
      const file = `plop-templates/${path}`;
      try {
        let template = compiled.get(path);
        if (!template) {
          const spec = specs[path];
          template = spec
            ? handlebars(false).template(spec)
            : handlebars(true).compile(
                readFileSync(join(templatesDir, path), 'utf8'),
                COMPILE_OPTIONS,
              );
          compiled.set(path, template);
        }
        return template(data);
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new KitError(`${file}: the template failed: ${reason}`, file);
      }
    },
  };
}
