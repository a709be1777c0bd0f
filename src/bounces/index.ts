export type { Evidence } from './apply.js';
export { applyEvidence } from './apply.js';
export { fetchReports } from './imap.js';
export type { BounceTally } from './inbox.js';
export { importReports } from './inbox.js';
export type { SnsMessage } from './webhooks.js';
export {
  mailgunEvidence,
  parseWebhookJson,
  postmarkEvidence,
  REPLAY_WINDOW_MS,
  sesEvidence,
  snsSubscribeUrl,
  verifyMailgun,
  verifyPostmark,
  verifySns,
  WebhookRefused,
} from './webhooks.js';
