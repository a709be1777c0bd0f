export type { Db } from './db.js';
export { openDatabase } from './db.js';
export { claimEvent, releaseEvent } from './events.js';
export type { IssueRef, Outcome, Recipient, SentIssue } from './ledger.js';
export { ledger, lookalikeIssue } from './ledger.js';
export { addSubscriber, exportCsv, importFile, listSubscribers, parseAddress, parseStatus, removeSubscriber, restoreBounced, withDatabase } from './list.js';
export { acquireSendLock } from './lock.js';
export type { ReportKind, ReportOutcome, ReportTarget } from './reports.js';
export { applyReport, deliveryByMessageId, issueKeys, latestDelivery, reportSeen } from './reports.js';
export { sendStatus } from './status.js';
export type { SubscriberRow } from './subscribers.js';
export { checkEmail, countByStatus, findSubscriber, getSubscriber } from './subscribers.js';
export type { ConfirmationSlot } from './subscriptions.js';
export {
  confirmationCaps,
  confirmSubscription,
  leave,
  releaseSlot,
  requestSubscription,
  reserveConfirmation,
  unaskedPending,
  unaskedPendingCount,
  undoLeave,
} from './subscriptions.js';
