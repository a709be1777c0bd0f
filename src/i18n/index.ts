export type { Labels, ReaderWords } from './labels.js';
export { emailLabels, footnoteLabels, languageKey, readerWords } from './labels.js';
