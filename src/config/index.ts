export type { Author, Config } from './config.js';
export type { DatabaseLocation, SmtpSettings } from './environment.js';
export { postgresLocation } from './environment.js';
export { loadConfig } from './load.js';
export { need, SECRET_ON_POSTGRES } from './needs.js';
export { placeholderProblems } from './uses.js';
