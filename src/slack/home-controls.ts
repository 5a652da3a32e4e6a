import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { ACTION_IDS, NO_DEFAULT, renderScheduleModal, renderScheduled, SCHEDULE_MODAL_CALLBACK_ID, scheduleFieldError } from '../blocks/index.js';
import { isForeignTeam } from '../tasks/access.js';
import { EXAMPLE_CRON } from '../tasks/cron.js';
import type { PreferenceField } from '../tasks/preferences.js';
import { withTimeout } from '../util/with-timeout.js';
import { checkDefaults } from './defaults-command.js';
import { planAutomation, saveAutomation } from './schedule-automation.js';
import { readScheduleModal, submissionErrors } from './schedule-modal.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';
import { preferencesOf } from './task-target.js';

const DEFAULT_MENUS: Record<string, PreferenceField> = {
  [ACTION_IDS.homeDefaultRepo]: 'repo',
  [ACTION_IDS.homeDefaultModel]: 'model',
  [ACTION_IDS.homeDefaultPersonality]: 'personality',
};

/**
 * The App Home's own controls. "New automation" opens the schedule modal with the click's
 * trigger_id (good once, for three seconds: the modal is built from config and one Redis read,
 * then opened at once); its submission is checked and saved by the same code as `/codex
 * schedule` (planAutomation, saveAutomation), a refusal shown under the input it is about
 * (`response_action: "errors"`). The defaults menus save through the same store and checks as
 * `/codex defaults`. Every change publishes the Home again.
 */
export function registerHomeControls(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.homeNewAutomation, async ({ ack, body }) => {
    await ack();
    await openScheduleModal(deps, body.user.id, body.trigger_id).catch(async (e: unknown) => {
      deps.logger.warn({ err: e, user: body.user.id }, 'could not open the schedule modal');
      // The Home is the only place this person is looking: say it there.
      const code = (e as { data?: { error?: string } }).data?.error;
      await deps.home.publish(body.user.id, `I could not open the New automation form${code ? ` (Slack said ${code})` : ''}. Click New automation again; if it keeps failing, use /codex schedule in a channel.`);
    });
  });

  app.action<BlockAction<StaticSelectAction>>({ action_id: /^codex_home_default_/ }, async ({ ack, body, action }) => {
    await ack();
    const field = DEFAULT_MENUS[action.action_id];
    if (!field || action.type !== 'static_select') return;
    await saveDefault(deps, body.user.id, field, action.selected_option?.value).catch((e: unknown) => deps.logger.warn({ err: e, user: body.user.id, field }, 'could not save a default from the App Home'));
    await deps.home.publish(body.user.id);
  });

  app.view(SCHEDULE_MODAL_CALLBACK_ID, async ({ ack, body, view }) => {
    const user = body.user.id;
    if (isForeignTeam(deps.config, deps.teamId, body.user.team_id)) return ack({ response_action: 'errors', errors: submissionErrors('cron', scheduleFieldError({ kind: 'foreign_team' })) });
    const read = readScheduleModal(view.state.values);
    if (!read.ok) return ack({ response_action: 'errors', errors: read.errors });
    const plan = planAutomation(deps, { ...read.request, user, teamId: body.user.team_id ?? body.team?.id });
    if (!plan.ok) return ack({ response_action: 'errors', errors: submissionErrors(plan.field, scheduleFieldError(plan.error)) });
    if (!(await saveAutomation(deps, plan.automation))) {
      return ack({ response_action: 'errors', errors: submissionErrors('cron', scheduleFieldError({ kind: 'service_unavailable', service: 'redis' })) });
    }
    await ack();
    const a = plan.automation;
    deps.logger.info({ automationId: a.id, user, channel: a.channel }, 'automation scheduled from the App Home');
    await deps.home.publish(user);
    // Where its runs will land, the person sees what was scheduled, as `/codex schedule` answers.
    const note = renderScheduled({ id: a.id, cron: a.cron, timezone: a.timezone, repo: a.repo, prompt: a.prompt, next: plan.next.map((d) => d.toISOString()) });
    await deps.poster.postEphemeral(a.channel, user, note).catch((e: unknown) => deps.logger.info({ err: e, channel: a.channel }, 'could not show the new automation in its channel'));
  });
}

async function openScheduleModal(deps: SlackDeps, user: string, triggerId: string): Promise<void> {
  const [prefs, last] = await withTimeout(Promise.all([preferencesOf(deps).get(user), deps.store.tasksOf(user, 1)]), REDIS_DEADLINE_MS, 'redis_timeout', 'reading defaults').catch(() => [{}, []] as const);
  const { config } = deps;
  const view = renderScheduleModal({
    repos: config.repos.map((r) => r.name),
    models: config.models,
    personalities: config.personalities,
    defaults: prefs,
    channel: last[0]?.channel,
    timezone: config.file.automations.timezone,
    minIntervalMinutes: config.file.automations.minIntervalMinutes,
    exampleCron: EXAMPLE_CRON,
    pullRequests: config.repos.some((r) => r.github !== undefined),
  });
  await deps.poster.openModal(triggerId, view as never);
}

/** One default from a menu: a configured name is saved (as `/codex defaults --<field>` would), "no default" clears it. */
async function saveDefault(deps: SlackDeps, user: string, field: PreferenceField, value: string | undefined): Promise<void> {
  const store = preferencesOf(deps);
  if (value === undefined || value === NO_DEFAULT) return withTimeout(store.clear(user, [field]), REDIS_DEADLINE_MS);
  const checked = checkDefaults(deps.config, { [field]: value });
  if (!checked.ok) {
    deps.logger.info({ user, field, value }, 'a default picked in the App Home is no longer configured');
    return;
  }
  await withTimeout(store.set(user, checked.set), REDIS_DEADLINE_MS);
}
