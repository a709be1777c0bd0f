export { build, EMAIL_SIZE_WARNING, issueFolder, OUTBOX, planOutput } from './build.js';
export type { BuildOptions, BuildResult } from './build.js';
export { safeJoin, writeOutput } from './output.js';
export type { OutputFile } from './output.js';
