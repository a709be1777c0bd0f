export { EmailCache } from './cache.js';
export { renderConfirmation } from './confirm.js';
export { previewUnsubscribeUrl, renderEmails } from './emails.js';
export type { Markers, Personal } from './personalize.js';
export { markersFor, newNonce, personalizeHtml, personalizeText } from './personalize.js';
export type { EmailRenderer, EmailRenderOptions, RenderedEmail } from './render.js';
export type { EmailTemplate } from './template.js';
export { BUNDLED_TEMPLATE, BUNDLED_TEMPLATES, compileTemplate, loadTemplate, templatePath } from './template.js';
export type { TextOptions } from './text.js';
