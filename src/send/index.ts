export { prepareSend, sendTestCopy } from './campaign.js';
export { invitePending } from './invite.js';
export type { Progress, SendResult } from './pipeline.js';
