import type { App } from '@slack/bolt';
import { renderTaskList } from '../blocks/index.js';
import { toTaskListItem } from './status-command.js';
import { redactBlocks } from '../util/redact.js';
import type { SlackDeps } from './slack-deps.js';

/** The App Home tab: the person's recent tasks and how to start one. */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const tasks = await deps.store.tasksOf(event.user).catch(() => []);
    const now = Date.now();
    const list = renderTaskList({ tasks: tasks.map((t) => toTaskListItem(t, now)) });
    const intro = {
      type: 'section',
      text: { type: 'mrkdwn', text: 'Start a task in any channel I am in with `/codex task <what to do>`, or mention me. Reply in the task thread to steer it.'.replace('<', '&lt;').replace('>', '&gt;') },
    };
    await client.views
      .publish({ user_id: event.user, view: { type: 'home', blocks: redactBlocks([intro, ...list.blocks]) as never } })
      .catch((e: unknown) => deps.logger.warn({ err: e }, 'could not publish the App Home'));
  });
}
