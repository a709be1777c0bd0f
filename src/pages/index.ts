export type { LayoutContext, PageOptions } from './pages.js';
export {
  archivePageUrl,
  renderArchivePage,
  renderIndexPage,
  renderIssuePage,
  renderNotFoundPage,
  renderRollupPage,
  renderSitemap,
  renderTagPage,
  tagKey,
  tagUrl,
} from './pages.js';
export { subscribeFields } from './subscribe.js';
