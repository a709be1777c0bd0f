export type { IssueNeighbours, LayoutContext, PageOptions } from './pages.js';
export { homePageUrl, renderIndexPage, renderIssuePage, renderNotFoundPage, renderSitemap, renderTagPage, tagKey, tagUrl } from './pages.js';
export { subscribeFields, subscribeForm } from './subscribe.js';
