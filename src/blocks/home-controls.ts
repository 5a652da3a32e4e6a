import type { ActionsBlock, KnownBlock } from '@slack/web-api';
import { actions, button, context, section } from './block-kit.js';
import { staticSelect, type Choice } from './form-elements.js';
import { ACTION_IDS } from './button-value.js';
import { escapeMrkdwn } from './limits.js';

/*
 * The App Home's controls: "New automation" (opens the schedule modal) and the viewer's
 * defaults as three select menus that save on pick, each with a "No default" choice that
 * clears it (the same store as `/codex defaults`).
 */

/** The option of a defaults menu that clears that default; never a repo, model or personality name (names have no spaces). */
export const NO_DEFAULT = '(none)';

export interface HomeDefaults {
  /** The viewer's own defaults (not the channel's or the installation's). */
  current: { repo?: string; model?: string; personality?: string };
  repos: string[];
  models: string[];
  personalities: string[];
}

/** The "New automation" button under the viewer's automations. */
export function newAutomationButton(): ActionsBlock {
  return actions('home_automation_new', [button({ text: 'New automation', actionId: ACTION_IDS.homeNewAutomation, value: 'new', style: 'primary' })]);
}

function menu(actionId: string, label: string, names: readonly string[], current: string | undefined) {
  const choices: Choice[] = [{ value: NO_DEFAULT, label: `${label}: no default` }, ...names.map((n) => ({ value: n, label: `${label}: ${n}` }))];
  return staticSelect({ actionId, placeholder: label, choices, initial: current ?? NO_DEFAULT });
}

/** "Your defaults" with a menu per field; picking saves it at once, "no default" clears it. */
export function renderHomeDefaults(d: HomeDefaults): KnownBlock[] {
  const elements = [menu(ACTION_IDS.homeDefaultRepo, 'Repo', d.repos, d.current.repo), menu(ACTION_IDS.homeDefaultModel, 'Model', d.models, d.current.model)];
  if (d.personalities.length > 0) elements.push(menu(ACTION_IDS.homeDefaultPersonality, 'Personality', d.personalities, d.current.personality));
  return [
    section('*Your defaults* for new tasks and automations (a flag on `/codex task` always wins; with no default of yours, the channel\'s or the installation\'s applies):'),
    { type: 'actions', block_id: 'home_defaults', elements },
    context([`Pick to save at once. ${escapeMrkdwn('`/codex defaults`')} in a channel shows what a task there would use.`]),
  ];
}
