export type { Campaign, SendOptions } from './campaign.js';
export { prepareSend, sendTestCopy } from './campaign.js';
export type { InviteResult } from './invite.js';
export { invitePending } from './invite.js';
export type { Abort, Progress, SendResult, SendRun, Tally } from './pipeline.js';
export { sendIssue } from './pipeline.js';
export type { SendStore } from './store.js';
export { readOnlyStore } from './store.js';
