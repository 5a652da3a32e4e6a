/*
 * The agent: runs a task's turn against a Sandbox with an OpenAI-compatible model, emitting
 * task events and obeying task operations (src/tasks/protocol.ts).
 */
export { runAgent } from './run-agent.js';
export type { AgentDeps, AgentOutcome, AgentTask } from './types.js';
