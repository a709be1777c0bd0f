export type { Campaign, SendOptions } from './campaign.js';
export { prepareSend, sendStatus, sendTestCopy } from './campaign.js';
export type { Carrier, CarrierChoice, SmtpSettings } from './carrier.js';
export { openCarrier, outboxCarrier, sendOne, smtpCarrier, smtpSettings, smtpTransportOptions } from './carrier.js';
export type { Classified, Verdict } from './classify.js';
export { cannotReach, classify } from './classify.js';
export type { ComposeInput } from './compose.js';
export { composeConfirmation, composeMessage, listId, senderDomain, transferEncoding } from './compose.js';
export type { InviteResult } from './invite.js';
export { invitePending } from './invite.js';
export { OUTBOX, outboxDir } from './outbox.js';
export type { Abort, Progress, SendResult, SendRun, Tally } from './pipeline.js';
export { sendIssue } from './pipeline.js';
export type { SendStore } from './store.js';
export { readOnlyStore } from './store.js';
export {
  bounceAddress,
  CONFIRM_TTL_MS,
  confirmToken,
  confirmUrl,
  deliveryMessageId,
  isDeliveryMessageId,
  issueTag,
  loadSecret,
  readBounceAddress,
  returnPath,
  secretFile,
  UNDO_TTL_MS,
  undoToken,
  unsubscribeToken,
  unsubscribeUrl,
  verifyConfirmToken,
  verifyToken,
  verifyUndoToken,
} from './tokens.js';
