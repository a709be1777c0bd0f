export { ShellCache } from './cache.js';
export { renderConfirmation } from './confirm.js';
export { preloadEmailRenderer, previewLinks, renderEmails } from './emails.js';
export { prestartMjml } from './mjml.js';
export { personalizeHtml, personalizeText } from './personalize.js';
export type { RenderedEmail } from './render.js';
export { renderRollupEmail, rollupTemplateSource } from './rollup.js';
export type { EmailTemplate } from './template.js';
export { BUNDLED_TEMPLATES, loadTemplate } from './template.js';
