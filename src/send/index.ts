export type { PendingSends, SendOptions } from './campaign.js';
export { pendingSends, prepareSend, sendTestCopy } from './campaign.js';
export { invitePending } from './invite.js';
export type { Progress, SendResult } from './pipeline.js';
