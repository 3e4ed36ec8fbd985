import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { projectOf, type Project } from './workspace.js';

/** Folders that hold no sources of a package: installed, built or cached output. */
const NOT_SOURCES = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  '.next',
  '.turbo',
  'coverage',
]);
const SOURCE_FILE = /\.[cm]?[jt]sx?$/;

/** Every file under `dir` (relative to `root`) outside the folders in `skip`. */
export function filesUnder(root: string, dir: string, skip: ReadonlySet<string>): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.flatMap((entry) => {
    // The kit's own temporaries (a build output's copy kept during a run, files
    // being committed) are no part of the host.
    if (entry.name.includes('.jobkit-')) return [];
    const path = dir === '.' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) return skip.has(entry.name) ? [] : filesUnder(root, path, skip);
    return entry.isFile() ? [path] : [];
  });
}

/**
 * The module specifiers a source file names in `import … from`, `export … from`,
 * `import(…)`, `require(…)` and bare `import '…'`. A lexical scan, not a parse: a
 * specifier quoted in a comment counts too, which can only make a package look
 * affected when it is not (one check more), never the reverse.
 */
export function importedSpecifiers(text: string): string[] {
  const specifiers: string[] = [];
  for (const match of text.matchAll(
    /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\1/g,
  )) {
    specifiers.push(match[2] ?? '');
  }
  return specifiers;
}

/** `a/b.js`, `a/b.ts`, `a/b/index.ts` → `a/b`: how an import and the file it names meet. */
function moduleKey(path: string): string {
  return path.replace(/\.[cm]?[jt]sx?$/, '').replace(/\/index$/, '');
}

/**
 * The packages a change can affect: those holding a changed file, and those whose
 * sources import a changed file, directly (a relative import) or through a workspace
 * package that is itself affected (`@scope/shared`, `@scope/shared/sub`).
 */
export function affectedByImports(
  root: string,
  projects: readonly Project[],
  changed: readonly string[],
): Project[] {
  const affected = new Set(changed.flatMap((file) => projectOf(projects, file) ?? []));
  const changedModules = new Set(changed.map(moduleKey));
  const specifiersOf = new Map<Project, { file: string; specifier: string }[]>();
  const imports = (project: Project) => {
    let found = specifiersOf.get(project);
    if (!found) {
      found = filesUnder(root, project.dir, NOT_SOURCES)
        .filter((file) => SOURCE_FILE.test(file))
        .flatMap((file) =>
          importedSpecifiers(readFileSync(join(root, file), 'utf8')).map((specifier) => ({
            file,
            specifier,
          })),
        );
      specifiersOf.set(project, found);
    }
    return found;
  };
  const importsChanged = (project: Project): boolean =>
    imports(project).some(({ file, specifier }) => {
      if (specifier.startsWith('.'))
        return changedModules.has(moduleKey(posix.join(dirname(file), specifier)));
      return [...affected].some(
        (dependency) =>
          project.dependencies.includes(dependency.name) &&
          (specifier === dependency.name || specifier.startsWith(`${dependency.name}/`)),
      );
    });
  let grew = true;
  while (grew) {
    grew = false;
    for (const project of projects) {
      if (affected.has(project)) continue;
      // Only a declared dependency can be imported by name (pnpm links nothing else);
      // a package with none affected is not read at all.
      const mayImport = [...affected].some((dependency) =>
        project.dependencies.includes(dependency.name),
      );
      if (mayImport && importsChanged(project)) {
        affected.add(project);
        grew = true;
      }
    }
  }
  return projects.filter((project) => affected.has(project));
}
