export type { BuildResult } from './build.js';
export { build } from './build.js';
