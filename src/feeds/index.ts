export { renderAtom } from './atom.js';
export { renderJsonFeed } from './json.js';
export { renderRss } from './rss.js';
export { FEED_FILES, FEED_STYLESHEET, feedUrl } from './site.js';
export { escapeXmlText } from './xml.js';
