export { renderIndexPage, renderIssuePage } from './pages.js';
