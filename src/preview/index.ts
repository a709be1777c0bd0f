export type { PreviewOptions, RunningPreview } from './preview.js';
export { startPreview } from './preview.js';
export type { SpamScore } from './spam.js';
export { spamScore } from './spam.js';
