import type { Logger } from '../logger.js';
import type { TaskEventInput } from '../tasks/protocol.js';
import type { ApprovalGate } from './approval-gate.js';
import type { BudgetTracker } from './budget.js';
import type { CompactionState } from './compaction.js';
import type { Conversation } from './conversation.js';
import type { ModelRequest } from './model-client.js';
import type { RunControl } from './run-control.js';
import type { Skill } from './skills.js';
import type { Tool } from './tools/tool.js';
import type { PlanState } from './tools/update-plan.js';
import type { AgentDeps, AgentTask } from './types.js';

/** Everything one run of the loop works with; built by runAgent, read by the loop's pieces. */
export interface Session {
  task: AgentTask;
  deps: AgentDeps;
  logger: Logger;
  /** Emits through the task's sink and remembers the last sequence number. */
  emit(event: TaskEventInput): Promise<void>;
  lastSeq(): number;
  conversation: Conversation;
  control: RunControl;
  gate: ApprovalGate;
  budget: BudgetTracker;
  plan: PlanState;
  tools: Tool[];
  /** The task's skills (`$<name>` in a reply puts one into the conversation). */
  skills: Skill[];
  /** When to compact the conversation, and how the last ones went. */
  compaction: CompactionState;
  /** Model, instructions, tools and cache key: fixed for the whole run. */
  request: Omit<ModelRequest, 'input'>;
  /** Text of the agent's latest message, for summaries. */
  lastMessage?: string;
}

/** Saves the conversation: after every model response and every batch of tool outputs. */
export async function saveSession(s: Session): Promise<void> {
  await s.conversation.save(s.deps.store, s.task.taskId, s.lastSeq());
}
