export type { Db } from './db.js';
export { now, openDatabase, SCHEMA_VERSION } from './db.js';
export { claimEvent, releaseEvent } from './events.js';
export type { ImportOptions, ImportProblem, ImportResult } from './import.js';
export { importCsv } from './import.js';
export type { DeliveryState, IssueRef, IssueStatus, Outcome, Recipient, SentIssue } from './ledger.js';
export { beginDelivery, deliveryStatus, finishDelivery, ledger, lookalikeIssue, owedBatch, owedCount, recordIssue } from './ledger.js';
export type { AddOutcome } from './list.js';
export { addSubscriber, exportCsv, importFile, listSubscribers, parseAddress, parseStatus, removeSubscriber, restoreBounced, withDatabase } from './list.js';
export { acquireSendLock } from './lock.js';
export type { ListHealth, ReportFigures, ReportKind, ReportOutcome, ReportRecord, ReportTarget } from './reports.js';
export { applyReport, deliveryByMessageId, issueKeys, latestDelivery, listHealth, reportFigures, reportOutcomes, reportSeen } from './reports.js';
export { sendStatus } from './status.js';
export type { LeftHow, NewSubscriber, Status, SubscriberRow } from './subscribers.js';
export {
  allSubscribers,
  checkEmail,
  complained,
  countByStatus,
  emailKey,
  findSubscriber,
  getSubscriber,
  insertSubscriber,
  STATUSES,
  setName,
  setStatus,
} from './subscribers.js';
export type { ConfirmationCaps, ConfirmationSlot, SubscribeRequest } from './subscriptions.js';
export {
  CONFIRM_INTERVAL_MS,
  confirmationCaps,
  confirmSubscription,
  leave,
  mailboxOf,
  releaseSlot,
  requestSubscription,
  reserveConfirmation,
  unaskedPending,
  unaskedPendingCount,
  undoLeave,
} from './subscriptions.js';
