export { parseDate, readDate } from './dates.js';
export { checkSlug } from './fields.js';
export { bundleResources } from './files.js';
export type { Issue, ParsedBody } from './issue.js';
export type { LoadOptions } from './load.js';
export { createIssueCache, loadIssues } from './load.js';
export type { Rollup } from './rollup.js';
export { completeRollups, isoWeek, rollupAsEntry, rollupFeedTitle, rollupOfWeek } from './rollup.js';
export { topicsOfIssue } from './topics.js';
