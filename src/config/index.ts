export type { Author, Config } from './config.js';
export { displayPath, loadConfig, resolveConfig } from './load.js';
export type { LoadedConfig } from './load.js';
export { configSchema } from './site-schema.js';
export { fields } from './schema.js';
