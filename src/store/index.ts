export type { Db } from './db.js';
export { now, openDatabase, SCHEMA_VERSION } from './db.js';
export type { ImportProblem, ImportResult } from './import.js';
export { importCsv } from './import.js';
export type { DeliveryState, IssueRef, IssueStatus, Outcome, Recipient } from './ledger.js';
export { beginDelivery, deliveryStatus, finishDelivery, owedBatch, owedCount, recordIssue } from './ledger.js';
export type { NewSubscriber, Status, SubscriberRow } from './subscribers.js';
export {
  allSubscribers,
  checkEmail,
  countByStatus,
  emailKey,
  findSubscriber,
  getSubscriber,
  insertSubscriber,
  STATUSES,
  setName,
  setStatus,
} from './subscribers.js';
