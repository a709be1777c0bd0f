export type { PageOptions } from './pages.js';
export { renderIndexPage, renderIssuePage } from './pages.js';
export { subscribeFields, subscribeForm } from './subscribe.js';
