// `job` and `job:remove`; the generators live in scripts/jobkit/ (see plop/plopfile.ts).
export { default } from './scripts/jobkit/plop/plopfile.js';
