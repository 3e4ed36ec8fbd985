import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTemplateEngine } from '../core/templates.js';
import { loadLayout } from '../host/config.js';
import type { ResolvedJob } from './resolve-job.js';
import { supportFiles, supportTemplateData } from './support-files.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

describe('support templates', () => {
  const layout = loadLayout(repoRoot);
  // A job with follow-ups and a webhook needs every support file.
  const everything = { followUps: [{}], webhookField: 'url' } as unknown as ResolvedJob;
  const files = supportFiles(layout, [everything]);
  const templates = createTemplateEngine(join(repoRoot, 'plop-templates'));

  it('cover every helper module that generated jobs import', () => {
    expect(files.map((file) => file.path)).toEqual([
      'packages/shared/src/job-data.ts',
      'packages/shared/src/job-definition.ts',
      'apps/worker/src/runtime/job-outcome.ts',
      'apps/worker/src/runtime/job-timeout.ts',
      'apps/worker/src/runtime/job-steps.ts',
      'apps/worker/src/runtime/producer.ts',
      'apps/worker/src/runtime/redis.ts',
      'apps/worker/src/services/webhook.client.ts',
    ]);
  });

  // This repository's helpers are what the templates give another host: a fix to
  // one side without the other fails here.
  it.each(files.map((file) => [file.path, file.template]))(
    'render %s exactly as this repository has it',
    (path, template) => {
      const rendered = templates.render(template, supportTemplateData(layout));
      expect(rendered).toBe(readFileSync(join(repoRoot, path), 'utf8'));
    },
  );
});
