export type { Carrier, CarrierChoice } from './carrier.js';
export { openCarrier, outboxCarrier, sendOne, smtpCarrier, smtpTransportOptions } from './carrier.js';
export type { Classified, Verdict } from './classify.js';
export { cannotReach, classify } from './classify.js';
export type { ComposeInput } from './compose.js';
export { composeConfirmation, composeMessage, listId, senderDomain, transferEncoding } from './compose.js';
export { OUTBOX, outboxDir } from './outbox.js';
