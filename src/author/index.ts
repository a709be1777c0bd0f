export { initSite } from './init.js';
export { newIssue } from './new.js';
