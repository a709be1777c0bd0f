export type { Applied, ApplyContext, Evidence } from './apply.js';
export { applyEvidence, mailEvidence } from './apply.js';
export { actionKind, failureKind } from './classify.js';
export type { Fields } from './fields.js';
export { fieldBlocks, headerBlock, messageIdOf, typedAddress } from './fields.js';
export { fetchReports } from './imap.js';
export type { BounceTally, ImportOptions } from './inbox.js';
export { emptyTally, importReports, openReportContext, processMessage, tallyApplied } from './inbox.js';
export { isMbox, mboxMessages } from './mbox.js';
export type { MailReport, RecipientReport } from './parse.js';
export { MAX_REPORT_BYTES, parseReport } from './parse.js';
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
