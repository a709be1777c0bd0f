export { renderAtom } from './atom.js';
export { renderJsonFeed } from './json.js';
export { renderRss } from './rss.js';
export type { FeedInput } from './site.js';
export { FEED_FILES, FEED_STYLESHEET, feedUrl, lastUpdated } from './site.js';
export { escapeXmlText } from './xml.js';
