import { attachmentsNote, NOT_RUN_CANCELLED, skillMessage, steeringNote } from './prompts.js';
import { mentionedSkills } from './skills.js';
import { CodexError } from '../errors.js';
import { budgetSummary, type BudgetKind } from './budget.js';
import { compact, noteResponse } from './compaction.js';
import { TokenMeter } from './compaction-items.js';
import { callModel, messageText, webSearchSummary, type InputItem, type OutputItem } from './model-client.js';
import { type Session, saveSession } from './session.js';
import { runToolBatch } from './tool-batch.js';
import type { AgentOutcome } from './types.js';

/*
 * The agent loop. Each step: take queued steering into the input, call the model with the
 * whole input, append its output, run its function calls and append their outputs. It ends
 * when the model answers without calling a tool (and no steering is waiting), when a budget
 * runs out, or on cancel. Interrupts and cancels are noticed at every step boundary; the
 * op pump has already aborted whatever was running.
 */

/** Runs steps until the turn ends. Throws CodexError on failures that end the task. */
export async function runLoop(s: Session): Promise<AgentOutcome> {
  for (;;) {
    if (s.control.halted) throw s.control.halted;
    if (s.control.cancelled) return cancel(s);
    if (s.control.interrupted) {
      const outcome = await pauseAfterInterrupt(s);
      if (outcome) return outcome;
      continue;
    }
    const over = s.budget.exceeded();
    if (over) return endOnBudget(s, over);
    if (s.compaction.due !== undefined && !(await compact(s, s.compaction.due))) continue; // aborted: see why at the top
    await applySteering(s);

    s.budget.countStep();
    const request = { ...s.request, input: s.conversation.items };
    const sentChars = TokenMeter.chars(request);
    const response = await callModel(
      s.deps.openai,
      request,
      {
        signal: s.control.stepSignal,
        logger: s.logger,
        retryWithin: { remainingMs: () => s.budget.remainingMs(), budgetMinutes: s.task.budgets.maxMinutes },
        onRetry: (retry) => s.emit({ type: 'model_retrying', ...retry }),
        onMessage: async (text) => {
          if (text.trim() === '') return;
          s.lastMessage = text;
          await s.emit({ type: 'agent_message', text });
        },
        onWebSearch: async (item) => {
          await s.emit({ type: 'web_search', callId: item.id, ...webSearchSummary(item) });
        },
      },
    ).catch((e: unknown) => {
      // The server refused the request as too long (a window smaller than configured, or one
      // step's outputs past it): compact and send again, once; a second refusal ends the turn.
      if (!tooLong(e) || s.compaction.justCompacted || s.compaction.ineffective >= 2 || s.conversation.items.length < 3) throw e;
      s.logger.warn({ chars: sentChars }, 'the model refused the request as too long; compacting first');
      s.compaction.due = s.compaction.meter.tokens(sentChars);
      s.compaction.refusedAt = Math.min(s.compaction.refusedAt ?? Infinity, s.compaction.due);
      return 'compact' as const;
    });
    if (response === 'compact') continue;
    if (!response) {
      // Only an interrupt or a cancel aborts a call; both are handled at the top.
      if (!s.control.interrupted && !s.control.cancelled && !s.control.halted) throw new Error('model call aborted without an interrupt or cancel');
      continue;
    }

    // Output items go back verbatim (ids, phase, encrypted reasoning), as the API expects.
    s.conversation.append(...(response.output as InputItem[]));
    const usage = s.conversation.addUsage(response.usage);
    s.budget.addTokens(response.usage.inputTokens + response.usage.outputTokens);
    noteResponse(s, sentChars, response.usage.inputTokens);
    await s.emit({ type: 'token_usage', usage, ...(response.model ? { model: response.model } : {}) });
    await saveSession(s);

    const calls = response.output.filter((i): i is Extract<OutputItem, { type: 'function_call' }> => i.type === 'function_call');
    if (calls.length > 0) {
      await runToolBatch(s, calls);
      continue;
    }
    if (s.control.hasSteering) continue; // steering came in during the final answer: take it
    const summary = response.output.map(messageText).join('\n').trim() || s.lastMessage?.trim();
    return { status: 'completed', summary: summary || 'The agent finished without writing a summary.' };
  }
}

/** Adds queued steering to the input as the user's words, marked as mid-task steering. */
async function applySteering(s: Session): Promise<void> {
  const steers = s.control.takeSteering();
  if (steers.length === 0) return;
  for (const { op, afterInterrupt } of steers) {
    const mark = steeringNote(op.by, afterInterrupt, s.deps.describePerson);
    const files = op.attachments ? await s.deps.attachments?.loadAttachments(op.attachments) : undefined;
    const note = attachmentsNote(files, op.attachments !== undefined);
    s.conversation.addUserWithImages([mark, op.text, note].filter(Boolean).join('\n'), files?.images.map((i) => i.dataUrl) ?? []);
    for (const skill of mentionedSkills(op.text, s.skills)) s.conversation.addUser(skillMessage(skill));
  }
  await s.emit({ type: 'steering_applied', opIds: steers.map((q) => q.op.opId) });
  await saveSession(s); // the ops are consumed: keep their words even if this worker dies now
}

/** Records the interrupt, then waits for a steer (continue), a cancel, or the time budget. */
async function pauseAfterInterrupt(s: Session): Promise<AgentOutcome | undefined> {
  const by = s.control.interrupted?.by;
  await s.emit(by === undefined ? { type: 'task_interrupted' } : { type: 'task_interrupted', by });
  await saveSession(s);
  s.logger.info({ by }, 'interrupted; waiting for the next instruction');
  const next = await s.control.waitForInstruction(Date.now() + s.budget.remainingMs());
  if (next === 'timeout') return endOnBudget(s, 'time');
  if (next === 'steer') s.control.resume();
  return undefined;
}

async function cancel(s: Session): Promise<AgentOutcome> {
  s.conversation.closeDanglingCalls(NOT_RUN_CANCELLED);
  await saveSession(s);
  const by = s.control.cancelled?.by;
  return by === undefined ? { status: 'cancelled' } : { status: 'cancelled', by };
}

async function endOnBudget(s: Session, kind: BudgetKind): Promise<AgentOutcome> {
  s.logger.info({ budget: kind }, 'budget reached');
  await saveSession(s);
  return { status: 'completed', summary: budgetSummary(kind, s.task.budgets, s.lastMessage, s.plan.steps), budget: kind === 'task_tokens' ? 'tokens' : kind };
}

function tooLong(e: unknown): boolean {
  return CodexError.isInstance(e) && e.code === 'model_context_too_long';
}
