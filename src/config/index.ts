export type { Author, Config } from './config.js';
export { loadConfig, resolveConfig } from './load.js';
export { displayPath } from '../util/paths.js';
export type { LoadedConfig } from './load.js';
export { configSchema } from './site-schema.js';
export { fields } from './schema.js';
