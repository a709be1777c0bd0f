export type { ComposeInput, Subscriber } from './compose.js';
export { composeMessage, listId, messageId, senderDomain, transferEncoding } from './compose.js';
export type { Classified, Progress, SendResult, SendRun, Tally } from './pipeline.js';
export { classify, sendIssue } from './pipeline.js';
export { loadSecret, secretFile, unsubscribeToken, unsubscribeUrl, verifyToken } from './tokens.js';
export type { Carrier, SmtpSettings } from './transport.js';
export { outboxCarrier, smtpCarrier, smtpSettings } from './transport.js';
