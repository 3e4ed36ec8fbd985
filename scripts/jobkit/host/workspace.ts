import { readPackageJson } from './package-json.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A workspace package: its folder (relative to the root), name and dependencies. */
export interface Project {
  dir: string;
  name: string;
  dependencies: string[];
  hasTsconfig: boolean;
  /** The test runner its package.json uses. */
  testRunner: 'vitest' | 'jest' | undefined;
}

/** `packages:` globs of pnpm-workspace.yaml; only the `dir/*` and `dir` forms are used here. */
function workspaceGlobs(root: string): string[] {
  const path = join(root, 'pnpm-workspace.yaml');
  if (!existsSync(path)) return [];
  const globs: string[] = [];
  let inPackages = false;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (/^packages\s*:/.test(line)) inPackages = true;
    else if (/^\S/.test(line)) inPackages = false;
    else if (inPackages) {
      const entry = /^\s*-\s*['"]?([^'"#\s]+)['"]?/.exec(line)?.[1];
      if (entry && !entry.startsWith('!')) globs.push(entry);
    }
  }
  return globs;
}

function readProject(root: string, dir: string): Project | undefined {
  const manifestPath = join(root, dir, 'package.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = readPackageJson(manifestPath, `${dir}/package.json`) as {
    name?: string;
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const all = { ...manifest.dependencies, ...manifest.devDependencies };
  const testScript = manifest.scripts?.test ?? '';
  const testRunner =
    /\bjest\b/.test(testScript) || 'jest' in all
      ? 'jest'
      : /\bvitest\b/.test(testScript) || 'vitest' in all
        ? 'vitest'
        : undefined;
  return {
    dir,
    name: manifest.name ?? dir,
    dependencies: Object.keys(all),
    hasTsconfig: existsSync(join(root, dir, 'tsconfig.json')),
    testRunner,
  };
}

export function readWorkspace(root: string): Project[] {
  return workspaceGlobs(root).flatMap((glob) => {
    if (!glob.endsWith('/*')) return readProject(root, glob) ?? [];
    const parent = glob.slice(0, -2);
    if (!existsSync(join(root, parent))) return [];
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) => readProject(root, `${parent}/${entry.name}`) ?? []);
  });
}

/** The project a file belongs to: the deepest project folder containing it. */
export function projectOf(projects: readonly Project[], file: string): Project | undefined {
  return projects
    .filter((project) => file.startsWith(`${project.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

/**
 * The projects whose type-check a change can affect: those holding a changed file,
 * and every project depending on one of them, directly or not.
 */
export function affectedProjects(
  projects: readonly Project[],
  files: readonly string[],
): Project[] {
  const affected = new Set(files.flatMap((file) => projectOf(projects, file) ?? []));
  let grew = true;
  while (grew) {
    grew = false;
    for (const project of projects) {
      if (affected.has(project)) continue;
      if ([...affected].some((dependency) => project.dependencies.includes(dependency.name))) {
        affected.add(project);
        grew = true;
      }
    }
  }
  return projects.filter((project) => affected.has(project));
}
