export type { ServeDeps } from './app.js';
export { BODY_LIMIT, createApp } from './app.js';
export { STYLE_HASH } from './pages.js';
export type { RunningServer, ServeOptions } from './serve.js';
export { startServe } from './serve.js';
