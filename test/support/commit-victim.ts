/**
 * A run of the generator that stops in the middle of its commit, for the test that
 * kills it there: `node --import tsx test/support/commit-victim.ts <root> <answers.json>`.
 * After the second file is renamed into place it prints "renamed" and waits, holding
 * the lock, until it is killed.
 */
import { readFileSync } from 'node:fs';
import { nodeCommitFs, type CommitFs } from '../../scripts/jobkit/core/commit.js';
import { generateJobs } from '../../scripts/jobkit/job/generate.js';
import { repoRoot } from './temp-host.js';

const [root, answersFile] = process.argv.slice(2);
if (!root || !answersFile) throw new Error('usage: commit-victim.ts <root> <answers.json>');

let renames = 0;
const fs: CommitFs = {
  ...nodeCommitFs,
  rename: async (from, to) => {
    await nodeCommitFs.rename(from, to);
    if (to.endsWith('.tmp') || to.endsWith('.json')) return;
    renames += 1;
    if (renames === 2) {
      process.stdout.write('renamed\n');
      await new Promise(() => setInterval(() => undefined, 1000));
    }
  },
};

await generateJobs({
  root,
  kitRoot: repoRoot,
  answers: JSON.parse(readFileSync(answersFile, 'utf8')) as unknown,
  verify: false,
  fs,
});
