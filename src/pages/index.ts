export type { LayoutContext, PageOptions } from './pages.js';
export {
  archivePageUrl,
  renderArchivePage,
  renderIndexPage,
  renderIssuePage,
  renderNotFoundPage,
  renderSitemap,
  renderTagPage,
  tagKey,
  tagUrl,
} from './pages.js';
export { subscribeFields } from './subscribe.js';
