export { now, openDatabase, SCHEMA_VERSION } from './db.js';
export type { Db } from './db.js';
export { importCsv } from './import.js';
export type { ImportProblem, ImportResult } from './import.js';
export { beginDelivery, deliveryStatus, finishDelivery, owedBatch, owedCount, recordIssue } from './ledger.js';
export type { DeliveryState, IssueRef, IssueStatus, Outcome, Recipient } from './ledger.js';
export {
  allSubscribers,
  checkEmail,
  countByStatus,
  emailKey,
  findSubscriber,
  getSubscriber,
  insertSubscriber,
  setName,
  setStatus,
  STATUSES,
} from './subscribers.js';
export type { NewSubscriber, Status, SubscriberRow } from './subscribers.js';
