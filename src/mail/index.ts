export type { Carrier } from './carrier.js';
export { openCarrier, sendOne } from './carrier.js';
export type { Verdict } from './classify.js';
export { cannotReach, classify } from './classify.js';
export { composeConfirmation, composeMessage, senderDomain, transferEncoding } from './compose.js';
export { OUTBOX, outboxDir } from './outbox.js';
