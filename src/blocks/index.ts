/*
 * Pure Block Kit builders: plain data in, `{ text, blocks }` out. Nothing here talks to Slack,
 * Redis or the clock; callers pass everything in and post the result (through redaction).
 */
export * from './action-log.js';
export * from './approval.js';
export * from './button-value.js';
export * from './defaults.js';
export * from './errors.js';
export * from './format.js';
export * from './help.js';
export { SLACK_LIMITS, BLOCKS_TEXT_BUDGET, BLOCKS_TEXT_HARD_LIMIT, escapeMrkdwn } from './limits.js';
export * from './message.js';
export * from './metadata.js';
export * from './status-card.js';
export * from './task-list.js';
export * from './automations.js';
export * from './app-home.js';
export * from './home-controls.js';
export * from './form-elements.js';
export * from './schedule-modal.js';
export * from './thread.js';
export * from './delivery.js';
export * from './review.js';
export * from './question.js';
