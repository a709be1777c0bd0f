export { startPreview } from './preview.js';
