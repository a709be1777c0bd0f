export type { Labels, ReaderWords, RollupWords } from './labels.js';
export { emailLabels, footnoteLabels, pageWords, readerWords, rollupWords } from './labels.js';
