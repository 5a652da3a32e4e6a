import type OpenAI from 'openai';
import type { ApprovalPolicy, Budgets, Limits } from '../config.js';
import type { ErrorCode } from '../errors.js';
import type { DescribePerson, Personality, TurnText } from './prompts.js';
import type { Logger } from '../logger.js';
import type { Sandbox } from '../runner/sandbox.js';
import type { AttachmentStore, CheckpointRef, ConversationStore, EventSink, OpSource, RecordCheckpoint } from '../tasks/protocol.js';

/** One turn of a task, as the worker hands it to the agent: only what the agent reads. */
export interface AgentTask extends TurnText {
  taskId: string;
  /** Named in the instructions. */
  repo: { name: string; baseBranch: string };
  /** The model name the task asked for (`--model`, a default, or CODEX_MODEL). */
  model: string;
  /** How the agent writes (`--personality`); part of the instructions, fixed for the task. */
  personality?: Personality;
  /** Limits of this turn. */
  budgets: Budgets;
  approval: ApprovalPolicy;
  limits: Limits;
  /** The files of the message that opened this turn (AttachmentStore id): images go to the model. */
  attachments?: string;
  /** Offer the Responses API's hosted web_search tool (config `tools.webSearch`). */
  webSearch?: boolean;
  /**
   * This run resumes a turn whose worker stopped, and the worker restored the work tree from
   * this checkpoint (the saved conversation's): the calls left without an output run again.
   */
  restored?: CheckpointRef;
}

/** The ports the agent works through; the worker wires the adapters. */
export interface AgentDeps {
  /** Where every command runs and every file is read and written; started by the caller. */
  sandbox: Sandbox;
  /** The SDK client, built by the caller from OPENAI_API_KEY and OPENAI_BASE_URL. */
  openai: OpenAI;
  events: EventSink;
  ops: OpSource;
  store: ConversationStore;
  /** The files of thread replies (images the model sees, names of the rest). */
  attachments?: AttachmentStore;
  logger?: Logger;
  /** Records a checkpoint of the work tree after each call that may have changed files; none: no checkpoints. */
  checkpoint?: RecordCheckpoint;
  /** Clock for budgets and approval expiry (epoch ms). */
  now?: () => number;
  /** Names people (user ids) in text for the model; the front end decides how (Slack: a mention). */
  describePerson?: DescribePerson;
  /**
   * Stops the turn from outside (e.g. the worker's watchdog when the checkout grows past its
   * limits): whatever runs is aborted and the turn ends as failed with the signal's reason, a
   * CodexError (its code and userMessage).
   */
  signal?: AbortSignal;
}

/**
 * How a turn ended. The worker turns it into task_completed (with the commit and diff stat),
 * task_failed or task_cancelled; the agent emits every event in between.
 */
export type AgentOutcome =
  | { status: 'completed'; summary: string; budget?: 'steps' | 'time' | 'tokens' }
  | { status: 'failed'; code: ErrorCode; message: string }
  | { status: 'cancelled'; by?: string };
