export type { Labels } from './labels.js';
export { emailLabels, footnoteLabels, languageKey } from './labels.js';
