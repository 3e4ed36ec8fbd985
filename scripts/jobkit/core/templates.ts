import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { KitError } from './errors.js';
import { docCommentBody, stringLiteral } from './text.js';

export interface TemplateEngine {
  /** Renders `plop-templates/<path>` with `data`. */
  render(path: string, data: object): string;
}

/**
 * Handlebars set up for code, not HTML: nothing is HTML-escaped, a missing value
 * is an error instead of an empty string, and free text goes through `doc` (inside
 * a block comment) or `str` (a string literal), which keep it verbatim and safe.
 */
export function createTemplateEngine(templatesDir: string): TemplateEngine {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('doc', (text: unknown) => docCommentBody(String(text)));
  handlebars.registerHelper('str', (text: unknown) => stringLiteral(String(text)));
  const compiled = new Map<string, Handlebars.TemplateDelegate>();

  return {
    render(path, data) {
      const file = `plop-templates/${path}`;
      try {
        let template = compiled.get(path);
        if (!template) {
          template = handlebars.compile(readFileSync(join(templatesDir, path), 'utf8'), {
            noEscape: true,
            strict: true,
          });
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
