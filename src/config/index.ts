export type { Author, Config } from './config.js';
export type { LoadedConfig } from './load.js';
export { loadConfig, resolveConfig } from './load.js';
export { fields } from './schema.js';
export type { RawConfig } from './site-schema.js';
export { configSchema } from './site-schema.js';
