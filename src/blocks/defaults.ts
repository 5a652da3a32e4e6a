import { context, section } from './block-kit.js';
import { inlineCode } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

/** Where a value in effect comes from (`SettingSource` of src/tasks/preferences.ts, without flags). */
export type DefaultSource = 'person' | 'channel' | 'config';

/** One line of `/codex defaults`: what a new task here would use, and why. */
export interface DefaultLine {
  value?: string;
  from?: DefaultSource;
}

export interface DefaultsView {
  repo: DefaultLine;
  model: DefaultLine;
  personality: DefaultLine;
  /** Set when the command just changed something: which fields. */
  changed?: Array<'repo' | 'model' | 'personality'>;
  /** The person's defaults were just forgotten. */
  reset?: boolean;
}

const FROM: Record<DefaultSource, string> = { person: 'your default', channel: "this channel's default", config: "the installation's default" };

function line(label: string, l: DefaultLine, none: string): string {
  return l.value === undefined ? `*${label}:* ${none}` : `*${label}:* ${inlineCode(l.value, 60)} (${FROM[l.from ?? 'config']})`;
}

/** `/codex defaults`: what a new task started here without flags uses, and where each value comes from. */
export function renderDefaults(view: DefaultsView): SlackMessage {
  const head = view.reset
    ? 'Your defaults are forgotten. A new task here now uses:'
    : view.changed && view.changed.length > 0
      ? `Saved your default ${view.changed.join(', ')}. A new task here now uses:`
      : 'A new task started here without flags uses:';
  const lines = [
    line('Repo', view.repo, 'none: add `--repo NAME` to each task, or set yours with `/codex defaults --repo NAME`'),
    line('Model', view.model, 'none'),
    line('Personality', view.personality, 'none (plain and factual)'),
  ];
  const text = `${head}\n${lines.join('\n')}`;
  return buildMessage(text, [
    section(text),
    context(['Change yours with `/codex defaults --repo NAME --model NAME --personality NAME`, or `/codex defaults reset`; a flag on `/codex task` always wins.']),
  ]);
}
