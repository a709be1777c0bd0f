export type { Author, Config } from './config.js';
export type { LoadedConfig } from './load.js';
export { CONFIG_NAME, findConfig, loadConfig, resolveConfig } from './load.js';
export { fields } from './schema.js';
export type { RawConfig } from './site-schema.js';
export { configSchema } from './site-schema.js';
export type { ConfigUse } from './uses.js';
export { isPlaceholderUrl, placeholderProblems, SECTIONS_USED } from './uses.js';
