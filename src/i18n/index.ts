export type { Labels, PageWords, ReaderWords } from './labels.js';
export { emailLabels, footnoteLabels, languageKey, pageWords, readerWords } from './labels.js';
