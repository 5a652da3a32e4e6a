import type { z } from 'zod';
import type { Limits } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { Sandbox } from '../../runner/sandbox.js';
import type { TaskEventInput } from '../../tasks/protocol.js';
import type { ApprovalGate } from '../approval-gate.js';

/*
 * A tool the model may call: a description written for the model, a zod schema of its
 * arguments (sent to the API as JSON Schema) and an `execute` that returns the text the model
 * sees as the call's output. Arguments reach `execute` already validated (see tool-runner.ts).
 */

/** What a tool may use while it runs. */
export interface ToolContext {
  /** The model's call id; also the id of command_started/finished events. */
  callId: string;
  /** Aborts on interrupt or cancel: stop at once and return. */
  signal: AbortSignal;
  sandbox: Sandbox;
  emit(event: TaskEventInput): Promise<void>;
  approvals: ApprovalGate;
  limits: Limits;
  logger: Logger;
}

export interface Tool<P extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  parameters: P;
  /** The call may change files of the work tree: a checkpoint of the tree follows it (src/runner/checkpoints.ts). */
  changesFiles?: boolean;
  /** A short line saying what a call did (a command, the files of a patch), for checkpoints and the resume notice. */
  describe?(args: z.infer<P>): string;
  /** Returns the output for the model. Throwing a CodexError sends its message to the model. */
  execute(args: z.infer<P>, ctx: ToolContext): Promise<string>;
}

/** Keeps a tool's argument type tied to its schema. */
export function defineTool<P extends z.ZodType>(tool: Tool<P>): Tool<P> {
  return tool;
}
