export { composeMessage, listId, messageId, senderDomain } from './compose.js';
export type { ComposeInput, Subscriber } from './compose.js';
