import type { App } from '@slack/bolt';
import { renderAppHome } from '../blocks/index.js';
import { redactBlocks } from '../util/redact.js';
import type { SlackDeps } from './slack-deps.js';
import { toTaskListItem } from './status-command.js';

/** The App Home tab: the person's recent tasks and how to start one. */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const tasks = await deps.store.tasksOf(event.user).catch(() => []);
    const now = Date.now();
    const view = renderAppHome({ tasks: tasks.map((t) => toTaskListItem(t, now)) });
    await client.views
      .publish({ user_id: event.user, view: { ...view, blocks: redactBlocks(view.blocks) } })
      .catch((e: unknown) => deps.logger.warn({ err: e }, 'could not publish the App Home'));
  });
}
