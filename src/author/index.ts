export type { InitOptions, InitResult } from './init.js';
export { initSite } from './init.js';
export type { NewIssueOptions } from './new.js';
export { newIssue, slugFromTitle } from './new.js';
