export type { Campaign, SendOptions } from './campaign.js';
export { prepareSend, sendTestCopy } from './campaign.js';
export { invitePending } from './invite.js';
export type { PendingSends } from './pending.js';
export { pendingSends } from './pending.js';
export type { Progress, SendResult } from './pipeline.js';
export type { RollupView } from './rollup.js';
export { prepareRollupSend, viewRollup } from './rollup.js';
