export type { BuildOptions, BuildResult } from './build.js';
export { build, EMAIL_SIZE_WARNING, issueFolder, planOutput } from './build.js';
export type { OutputFile } from './output.js';
export { OUTPUT_MARKER, retireOutboxInOutput, safeJoin, writeOutput } from './output.js';
