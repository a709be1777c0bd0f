export type { Carrier } from './carrier.js';
export type { Classified, Verdict } from './classify.js';
export { cannotReach, classify } from './classify.js';
export { composeConfirmation, composeMessage, senderDomain, transferEncoding } from './compose.js';
export { OUTBOX, outboxDir } from './outbox.js';
export type { Relay } from './relays.js';
export { describeRelays, openCarrier, openRelays, relayRefused, sendOne } from './relays.js';
