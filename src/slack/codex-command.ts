import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import { renderError, renderHelp, type ErrorView } from '../blocks/index.js';
import { redactDeep } from '../util/redact.js';
import { redactingAck, type Ack } from './ack.js';
import { resolveTarget } from './task-target.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';
import { withTimeout } from '../util/with-timeout.js';
import { cancelTask } from '../tasks/cancel-task.js';
import { createTask, TaskCreationError, TooManyQueuedError } from './create-task.js';
import { handleScheduleCommand } from './schedule-command.js';
import { showStatus } from './status-command.js';
import { handleDefaults } from './defaults-command.js';
import { showActiveTasks } from './list-command.js';
import { showActionLog } from './log-command.js';
import { isForeignTeam } from '../tasks/access.js';
import { parseCommand } from './parse-command.js';

/**
 * `/codex`. Every path acknowledges within Slack's 3 seconds: input errors answer in the ack
 * itself (ephemeral), the task store is given a deadline (REDIS_DEADLINE_MS) before the ack, and
 * everything slow (posting the card, queueing) happens after it.
 */
export function registerCodexCommand(app: App, deps: SlackDeps): void {
  app.command(/^\/codex/, async ({ command, ack, respond }) => {
    await handleCodexCommand(deps, command, ack as Ack, respond);
  });
}

export async function handleCodexCommand(deps: SlackDeps, command: SlashCommand, rawAck: Ack, respond: RespondFn): Promise<void> {
  const ack = redactingAck(rawAck);
  const ephemeral = (view: ErrorView) => ack({ response_type: 'ephemeral', ...redactDeep(renderError(view)) });
  const parsed = parseCommand(command.text ?? '');
  if (parsed.kind !== 'help' && isForeignTeam(deps.config, deps.teamId, command.team_id)) return ephemeral({ kind: 'foreign_team' });
  switch (parsed.kind) {
    case 'help': {
      const defaultRepo = deps.config.file.channels[command.channel_id]?.defaultRepo;
      return ack({ response_type: 'ephemeral', ...renderHelp({ command: command.command, repos: deps.config.repos.map((r) => r.name), defaultRepo, models: deps.config.models, personalities: deps.config.personalities }) });
    }
    case 'invalid':
      return ephemeral({ kind: 'invalid_command', reason: parsed.reason });
    case 'status':
      return showStatus(deps, command, parsed.taskId, ack);
    case 'schedule':
    case 'schedules':
    case 'unschedule':
      return handleScheduleCommand(deps, command, parsed, ack);
    case 'log':
      return showActionLog(deps, command, parsed.taskId, ack, respond);
    case 'list':
      return showActiveTasks(deps, command, ack);
    case 'defaults':
      return handleDefaults(deps, command, parsed.set, parsed.reset === true, ack);
    case 'cancel': {
      const result = await withTimeout(cancelTask(deps.lifecycle, deps.config.findRepo, parsed.taskId, command.user_id), REDIS_DEADLINE_MS * 1.5).catch(() => ({ kind: 'unavailable' as const }));
      if (result.kind === 'unavailable') return ephemeral({ kind: 'service_unavailable', service: 'redis' });
      if (result.kind === 'not_found') return ephemeral({ kind: 'task_not_found', taskId: parsed.taskId });
      if (result.kind === 'not_permitted') return ephemeral({ kind: 'not_permitted', action: 'cancel', owner: result.owner });
      if (result.kind === 'finished') return ephemeral({ kind: 'task_finished', taskId: parsed.taskId, status: result.status });
      return ack({ response_type: 'ephemeral', text: `Cancelling task \`${parsed.taskId}\`. Its branch keeps what was done; the thread shows when it has stopped.` });
    }
    case 'task':
    case 'review': {
      // One Redis deadline for everything before the ack: the defaults read, then the write.
      const begun = Date.now();
      // A review names its pull request by URL: the repo on GitHub with that owner/name, unless --repo says.
      const byUrl = parsed.kind === 'review' && parsed.owner ? deps.config.repos.find((r) => r.github && `${r.github.owner}/${r.github.name}`.toLowerCase() === `${parsed.owner}/${parsed.name}`.toLowerCase())?.name : undefined;
      const flags = parsed.kind === 'task' ? parsed : { repo: parsed.repo ?? byUrl };
      const target = await resolveTarget(deps, command.channel_id, command.user_id, flags);
      if (!target.ok) return ephemeral(target.error);
      if (parsed.pullRequest && !target.repo.github) return ephemeral({ kind: 'no_code_host', repo: target.repo.name });
      const asked = parsed.kind === 'task' ? parsed : reviewAsk(parsed);
      try {
        const input = { repo: target.repo, asked, owner: command.user_id, channel: command.channel_id, teamId: command.team_id, model: target.model, personality: target.personality };
        const started = await createTask(deps, input, REDIS_DEADLINE_MS - (Date.now() - begun));
        await ack();
        await started.publish().catch(async (e: unknown) => {
          deps.logger.warn({ err: e, taskId: started.task.id }, 'could not start the task after acknowledging');
          await respond({ response_type: 'ephemeral', text: publishFailureText(e) }).catch(() => undefined);
        });
      } catch (e) {
        if (e instanceof TaskCreationError) return ephemeral({ kind: 'service_unavailable', service: e.service });
        if (e instanceof TooManyQueuedError) return ephemeral({ kind: 'too_many_queued', queued: e.queued });
        deps.logger.error({ err: e }, 'could not create a task');
        return ephemeral({ kind: 'internal' });
      }
      return;
    }
  }
}

function publishFailureText(e: unknown): string {
  const code = (e as { data?: { error?: string } }).data?.error;
  if (code === 'not_in_channel' || code === 'channel_not_found') {
    return "I couldn't post in this channel, so the task was not started. Invite me with `/invite @Codex` and run the command again.";
  }
  return "I couldn't start the task: posting its status card or queueing it failed, and nothing was left half-made. Try again in a minute; if it keeps failing, tell whoever runs this bot.";
}

/** A review as a task: its prompt (what the card shows) names what is reviewed. */
function reviewAsk(parsed: Extract<ReturnType<typeof parseCommand>, { kind: 'review' }>) {
  const what = parsed.pullRequest !== undefined ? `pull request #${parsed.pullRequest}` : `branch ${parsed.branch}`;
  return { prompt: `Review ${what}`, mode: 'review' as const, review: { branch: parsed.branch, pullRequest: parsed.pullRequest } };
}
