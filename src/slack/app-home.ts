import type { App } from '@slack/bolt';
import type { SlackDeps } from './slack-deps.js';

/**
 * The App Home tab, the fleet's command center (src/blocks/app-home.ts): published when the
 * person opens it, and kept fresh while tasks move (HomeRefresher, debounced per person).
 */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await deps.home.opened(event.user);
  });
}
