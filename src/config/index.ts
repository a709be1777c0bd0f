export type { Author, Config } from './config.js';
export type { SmtpSettings } from './environment.js';
export { loadConfig } from './load.js';
export { need } from './needs.js';
export { placeholderProblems } from './uses.js';
