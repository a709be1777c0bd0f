export { startServe } from './serve.js';
