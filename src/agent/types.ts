import type OpenAI from 'openai';
import type { ApprovalPolicy, Budgets, Limits, RepoConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Sandbox } from '../runner/sandbox.js';
import type { ConversationStore, EventSink, OpSource } from '../tasks/protocol.js';

/** One turn of a task, as the worker hands it to the agent. */
export interface AgentTask {
  taskId: string;
  /** What the person asked for (this turn's message for a follow-up). */
  prompt: string;
  /** Earlier thread messages and the like, given to the model as context. */
  context?: string;
  repo: RepoConfig;
  /** The task's branch, already checked out at /workspace. */
  branch: string;
  /** The model name (CODEX_MODEL). */
  model: string;
  /** Limits of this turn. */
  budgets: Budgets;
  approval: ApprovalPolicy;
  limits: Limits;
  /** Slack user id of who started the task. */
  owner: string;
  /** Slack user id of who asked for this turn (a follow-up may come from a steerer); the owner by default. */
  by?: string;
  /** 1 for the first prompt; a follow-up (turn > 1) continues the saved conversation. */
  turn: number;
}

/** The ports the agent works through; the worker wires the adapters. */
export interface AgentDeps {
  /** Where every command runs and every file is read and written. */
  sandbox: Sandbox;
  /** The SDK client, built by the caller from OPENAI_API_KEY and OPENAI_BASE_URL. */
  openai: OpenAI;
  events: EventSink;
  ops: OpSource;
  store: ConversationStore;
  logger?: Logger;
  /** Clock for budgets and approval expiry (epoch ms). */
  now?: () => number;
}

/**
 * How a turn ended. The worker turns it into task_completed (with the commit and diff stat),
 * task_failed or task_cancelled; the agent emits every event in between.
 */
export type AgentOutcome =
  | { status: 'completed'; summary: string; budget?: 'steps' | 'time' | 'tokens' }
  | { status: 'failed'; code: string; message: string }
  | { status: 'cancelled'; by?: string };
