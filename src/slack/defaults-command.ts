import type { SlashCommand } from '@slack/bolt';
import { renderDefaults, renderError, type DefaultLine, type ErrorView } from '../blocks/index.js';
import type { Config } from '../config.js';
import { chooseSettings, findModel, findPersonality, type Preferences } from '../tasks/preferences.js';
import { withTimeout } from '../util/with-timeout.js';
import { redactingAck, type Ack } from './ack.js';
import type { DefaultsFlags } from './parse-command.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';
import { preferencesOf } from './task-target.js';

/**
 * `/codex defaults [--repo NAME] [--model NAME] [--personality NAME]` (or `reset`): sets the
 * person's defaults for new tasks, then shows what a task started in this channel without
 * flags would use and where each value comes from. Ephemeral, answered in the ack.
 */
export async function handleDefaults(deps: SlackDeps, command: SlashCommand, flags: DefaultsFlags, reset: boolean, rawAck: Ack): Promise<void> {
  const ack = redactingAck(rawAck);
  const checked = checkDefaults(deps.config, flags);
  if (!checked.ok) return ack({ response_type: 'ephemeral', ...renderError(checked.error) });
  const store = preferencesOf(deps);
  const user = command.user_id;
  let prefs: Preferences;
  try {
    prefs = await withTimeout(
      (async () => {
        if (reset) await store.clear(user);
        return store.set(user, checked.set);
      })(),
      REDIS_DEADLINE_MS,
      'redis_timeout',
      'saving defaults',
    );
  } catch {
    return ack({ response_type: 'ephemeral', ...renderError({ kind: 'service_unavailable', service: 'redis' }) });
  }
  const changed = (Object.keys(checked.set) as Array<keyof Preferences>).filter((k) => checked.set[k] !== undefined);
  return ack({ response_type: 'ephemeral', ...renderDefaults({ ...effectiveDefaults(deps.config, command.channel_id, prefs), changed, ...(reset ? { reset: true } : {}) }) });
}

/** The names as configured (`/codex defaults` flags, the App Home's menus), or the error naming the allowed ones. */
export function checkDefaults(config: Config, flags: DefaultsFlags): { ok: true; set: Preferences } | { ok: false; error: ErrorView } {
  const set: Preferences = {};
  if (flags.repo !== undefined) {
    const repo = config.repos.find((r) => r.name === flags.repo) ?? config.repos.find((r) => r.name.toLowerCase() === flags.repo!.toLowerCase());
    if (!repo) return { ok: false, error: { kind: 'unknown_repo', repo: flags.repo, repos: config.repos.map((r) => r.name) } };
    set.repo = repo.name;
  }
  if (flags.model !== undefined) {
    set.model = findModel(config, flags.model);
    if (!set.model) return { ok: false, error: { kind: 'unknown_model', model: flags.model, models: config.models } };
  }
  if (flags.personality !== undefined) {
    set.personality = findPersonality(config, flags.personality);
    if (!set.personality) return { ok: false, error: { kind: 'unknown_personality', personality: flags.personality, personalities: config.personalities } };
  }
  return { ok: true, set };
}

/** What a task started in `channel` without flags uses, with each value's source (the order of chooseRepo and chooseSettings). */
export function effectiveDefaults(config: Config, channel: string, prefs: Preferences): { repo: DefaultLine; model: DefaultLine; personality: DefaultLine } {
  const byName = (name?: string) => (name ? config.repos.find((r) => r.name === name)?.name : undefined);
  const personRepo = byName(prefs.repo);
  const channelRepo = byName(config.file.channels[channel]?.defaultRepo);
  const repo: DefaultLine = personRepo
    ? { value: personRepo, from: 'person' }
    : channelRepo
      ? { value: channelRepo, from: 'channel' }
      : config.repos.length === 1
        ? { value: config.repos[0]!.name, from: 'config' }
        : {};
  const settings = chooseSettings(config, channel, prefs, {});
  if (!settings.ok) return { repo, model: {}, personality: {} }; // no flags: cannot fail
  const source = (from?: string) => (from === 'person' || from === 'channel' ? from : 'config');
  return {
    repo,
    model: { value: settings.model, from: source(settings.modelFrom) },
    personality: settings.personality ? { value: settings.personality, from: source(settings.personalityFrom) } : {},
  };
}
