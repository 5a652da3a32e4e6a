import { CodexError, errorMessage } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { TaskEventInput } from '../tasks/protocol.js';
import { runLoop } from './agent-loop.js';
import { loadAgentsDocs } from './agents-docs.js';
import { ApprovalGate } from './approval-gate.js';
import { BudgetTracker } from './budget.js';
import { newCompactionState } from './compaction.js';
import { openConversation } from './conversation.js';
import { attachmentsNote, buildInstructions, skillMessage, turnMessages } from './prompts.js';
import { loadSkills, mentionedSkills, type Skill } from './skills.js';
import { startOpPump } from './op-pump.js';
import { QuestionDesk } from './question-desk.js';
import { RunControl } from './run-control.js';
import { createAskPeopleTool } from './tools/ask-people.js';
import type { Session } from './session.js';
import { createApplyPatchTool } from './tools/apply-patch-tool.js';
import { createShellTool } from './tools/shell.js';
import { toFunctionTools } from './tools/tool-runner.js';
import { createUpdatePlanTool, type PlanState } from './tools/update-plan.js';
import type { AgentDeps, AgentOutcome, AgentTask } from './types.js';

/**
 * Runs one turn of a task to its end. The caller emits task_started before and the final
 * task_completed / task_failed / task_cancelled after (from the outcome); everything in
 * between (plan, messages, commands, file changes, approvals, steering, usage, interrupts)
 * is emitted here. Never throws: failures come back as `{ status: 'failed', code, message }`
 * with a message a person can act on.
 */
export async function runAgent(task: AgentTask, deps: AgentDeps): Promise<AgentOutcome> {
  const logger = (deps.logger ?? silentLogger()).child({ taskId: task.taskId, turn: task.turn });
  const now = deps.now ?? Date.now;
  let lastSeq = 0;
  const emit = async (event: TaskEventInput) => {
    const stamped = await deps.events.emit(event);
    lastSeq = Math.max(lastSeq, stamped.seq);
  };
  // Approval waits count against the turn's time: a wait never outlasts the turn's budget.
  const budget = new BudgetTracker(task.budgets, now);
  const gate = new ApprovalGate({ policy: task.approval, emit, now, logger, describePerson: deps.describePerson, deadline: () => now() + budget.remainingMs() });
  const questions = new QuestionDesk({ timeoutMinutes: task.approval.timeoutMinutes, emit, now, logger, describePerson: deps.describePerson, deadline: () => now() + budget.remainingMs() });
  const control = new RunControl({ emit, gate, questions, logger });
  const pump = startOpPump(deps.ops, task.taskId, (op) => control.onOp(op), logger);
  const halt = () => control.halt(haltError(deps.signal?.reason));
  if (deps.signal?.aborted) halt();
  else deps.signal?.addEventListener('abort', halt, { once: true });
  try {
    const opened = await openConversation(deps.store, task.taskId, task.turn, turnMessages(task, deps.describePerson));
    lastSeq = Math.max(lastSeq, opened.lastSeq);
    if (opened.resumed) logger.info('resuming the saved conversation of this turn');
    // The task's token budget spans its turns: what earlier turns used counts.
    budget.addPriorTokens(opened.conversation.usage.inputTokens + opened.conversation.usage.outputTokens);
    const plan: PlanState = { steps: [] };
    const tools = [createShellTool(task.approval), createApplyPatchTool(task.approval), createUpdatePlanTool(plan), createAskPeopleTool(questions)];
    const agentsDocs = await loadAgentsDocs(deps.sandbox).catch((e: unknown) => {
      logger.warn({ err: e }, 'could not read AGENTS.md; continuing without it');
      return [];
    });
    const { skills, problems } = await loadSkills(deps.sandbox).catch((e: unknown) => {
      logger.warn({ err: e }, 'could not read the skills; continuing without them');
      return { skills: [] as Skill[], problems: [] };
    });
    for (const p of problems) await emit({ type: 'skill_invalid', path: p.path, problem: p.problem });
    if (!opened.resumed && task.attachments) {
      // The files of the message that opened the turn: images as image parts, the rest named.
      const files = await deps.attachments?.loadAttachments(task.attachments);
      opened.conversation.addUserWithImages(attachmentsNote(files, true), files?.images.map((i) => i.dataUrl) ?? []);
    }
    if (!opened.resumed) {
      // `$<name>` in this turn's words puts that skill whole into the conversation.
      for (const skill of mentionedSkills(task.turn > 1 && task.turnPrompt ? task.turnPrompt : task.prompt, skills)) opened.conversation.addUser(skillMessage(skill));
    }
    const session: Session = {
      task,
      deps,
      logger,
      emit,
      lastSeq: () => lastSeq,
      conversation: opened.conversation,
      control,
      gate,
      budget,
      plan,
      tools,
      skills,
      compaction: newCompactionState(),
      request: {
        model: task.model,
        instructions: buildInstructions({ repo: task.repo, approval: task.approval, agentsDocs, personality: task.personality, webSearch: task.webSearch, skills }),
        tools: task.webSearch ? [...toFunctionTools(tools), { type: 'web_search' }] : toFunctionTools(tools),
        promptCacheKey: task.taskId,
      },
    };
    const outcome = await runLoop(session);
    logger.info({ status: outcome.status }, 'agent turn ended');
    return outcome;
  } catch (e) {
    if (control.halted) {
      logger.warn({ code: control.halted.code }, 'agent turn stopped by the worker');
      return { status: 'failed', code: control.halted.code, message: control.halted.userMessage };
    }
    if (control.cancelled) return control.cancelled.by === undefined ? { status: 'cancelled' } : { status: 'cancelled', by: control.cancelled.by };
    if (CodexError.isInstance(e)) {
      logger.error({ err: e, code: e.code }, 'agent turn failed');
      return { status: 'failed', code: e.code, message: e.userMessage };
    }
    logger.error({ err: e }, 'agent turn failed unexpectedly');
    return { status: 'failed', code: 'agent_error', message: `The agent stopped on an unexpected error: ${errorMessage(e)}` };
  } finally {
    deps.signal?.removeEventListener('abort', halt);
    await pump.stop();
  }
}

/** The error a halt signal carries; anything else becomes a generic one. */
function haltError(reason: unknown): CodexError {
  if (CodexError.isInstance(reason)) return reason;
  return new CodexError('agent_error', `the worker stopped the turn: ${errorMessage(reason)}`, { userMessage: 'The worker stopped this turn. Reply in this thread to try again.' });
}
