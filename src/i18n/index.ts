export type { Labels, ReaderWords } from './labels.js';
export { emailLabels, footnoteLabels, pageWords, readerWords } from './labels.js';
