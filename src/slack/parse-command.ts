/*
 * Parses the text after `/codex`. Subcommands start with a verb (ARCHITECTURE.md):
 *   task [--repo NAME] [--branch BRANCH] [--model NAME] [--personality NAME] [--pr] <prompt>   (--pr: open a pull request at the end)
 *   plan [same flags] <prompt>   (explore and propose a plan; change nothing)
 *   review [--repo NAME] <branch | pull request number | pull request URL>   (read-only review)
 *   status [task id]
 *   cancel <task id>
 *   list                          (running and queued tasks one may see)
 *   log <task id>                 (a task's action log)
 *   defaults [--repo NAME] [--model NAME] [--personality NAME] | defaults reset
 *   schedule "<cron>" [--repo NAME] [--model NAME] [--personality NAME] [--pr] <prompt>, schedules, unschedule <id>
 *   help
 * Flag values are only parsed here; whether a repo, model or personality exists is the
 * handler's to check (it knows the config).
 * Anything else is `invalid` with a reason the usage message shows.
 */

import { TASK_ID_PATTERN } from '../tasks/task-record.js';

export type ParsedCommand =
  | { kind: 'task'; prompt: string; repo?: string; branch?: string; model?: string; personality?: string; mode?: 'plan'; pullRequest?: boolean }
  | { kind: 'review'; repo?: string; branch?: string; pullRequest?: number; owner?: string; name?: string }
  | { kind: 'status'; taskId?: string }
  | { kind: 'cancel'; taskId: string }
  | { kind: 'list' }
  | { kind: 'log'; taskId: string }
  /** `set` empty: show the defaults; `reset`: forget them all. */
  | { kind: 'defaults'; set: DefaultsFlags; reset?: true }
  | { kind: 'help' }
  | { kind: 'schedule'; cron: string; prompt: string; repo?: string; branch?: string; model?: string; personality?: string; pullRequest?: boolean }
  | { kind: 'schedules' }
  | { kind: 'unschedule'; automationId: string }
  | { kind: 'invalid'; reason: string };

type FlagName = 'repo' | 'branch' | 'model' | 'personality';
export type DefaultsFlags = { repo?: string; model?: string; personality?: string };

const FLAG = /^--(repo|branch|model|personality)(?:=(.*))?$/;
const EXAMPLE: Record<FlagName, string> = { repo: 'billing', branch: 'main', model: 'gpt-5-codex', personality: 'friendly' };
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._\/-]{1,200}$/;

export function parseCommand(text: string): ParsedCommand {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'help' };
  const [verbRaw = '', ...rest] = trimmed.split(/\s+/);
  const verb = verbRaw.toLowerCase();
  const after = trimmed.slice(verbRaw.length).trim();
  switch (verb) {
    case 'help':
    case '-h':
    case '--help':
      return { kind: 'help' };
    case 'status':
      if (rest.length === 0) return { kind: 'status' };
      return TASK_ID_PATTERN.test(rest[0]!) && rest.length === 1 ? { kind: 'status', taskId: rest[0] } : { kind: 'invalid', reason: `"${after}" is not a task id (task ids are 8 letters and digits, like k3x9q2m1).` };
    case 'cancel':
    case 'stop':
      if (rest.length !== 1 || !TASK_ID_PATTERN.test(rest[0]!)) return { kind: 'invalid', reason: `\`/codex ${verb}\` needs one task id, like \`/codex cancel k3x9q2m1\`.` };
      return { kind: 'cancel', taskId: rest[0]! };
    case 'list':
      return rest.length === 0 ? { kind: 'list' } : { kind: 'invalid', reason: '`/codex list` takes nothing after it; it lists the running and queued tasks you may see.' };
    case 'log':
      if (rest.length !== 1 || !TASK_ID_PATTERN.test(rest[0]!)) return { kind: 'invalid', reason: '`/codex log` needs one task id, like `/codex log k3x9q2m1`.' };
      return { kind: 'log', taskId: rest[0]! };
    case 'defaults':
      return parseDefaults(after);
    case 'task':
      return parseTask(after, verb);
    case 'review':
      return parseReview(after);
    case 'plan': {
      const parsed = parseTask(after, verb);
      return parsed.kind === 'task' ? { ...parsed, mode: 'plan' } : parsed;
    }
    case 'schedule':
      return parseSchedule(after);
    case 'schedules':
      return { kind: 'schedules' };
    case 'unschedule':
      if (rest.length !== 1 || !TASK_ID_PATTERN.test(rest[0]!)) return { kind: 'invalid', reason: '`/codex unschedule` needs one automation id, like `/codex unschedule k3x9q2m1` (`/codex schedules` lists them).' };
      return { kind: 'unschedule', automationId: rest[0]! };
    default:
      return { kind: 'invalid', reason: `\`${verbRaw}\` is not a /codex command. To start a task, begin with \`task\`: \`/codex task ${trimmed}\`.` };
  }
}

/** Reads leading `--flag value` / `--flag=value` pairs; returns them and the text after them. */
function readFlags(args: string): { flags: Partial<Record<FlagName, string>>; rest: string; pullRequest: boolean } | { invalid: string } {
  let rest = args;
  const flags: Partial<Record<FlagName, string>> = {};
  let pullRequest = false;
  for (;;) {
    const m = /^(\S+)(?:\s+|$)/.exec(rest);
    if (!m) break;
    if (m[1] === '--pr') {
      pullRequest = true;
      rest = rest.slice(m[0].length);
      continue;
    }
    const flag = FLAG.exec(m[1]!);
    if (!flag) break;
    const name = flag[1] as FlagName;
    let value = flag[2];
    rest = rest.slice(m[0].length);
    if (value === undefined) {
      const v = /^(\S+)(?:\s+|$)/.exec(rest);
      if (!v || v[1]!.startsWith('--')) return { invalid: `\`--${name}\` needs a value, like \`--${name} ${EXAMPLE[name]}\`.` };
      value = v[1]!;
      rest = rest.slice(v[0].length);
    }
    if (value === '') return { invalid: `\`--${name}\` needs a value.` };
    if (flags[name] !== undefined) return { invalid: `\`--${name}\` is given twice.` };
    flags[name] = value;
  }
  return { flags, rest, pullRequest };
}

function parseDefaults(args: string): ParsedCommand {
  if (/^reset$/i.test(args)) return { kind: 'defaults', set: {}, reset: true };
  const read = readFlags(args);
  if ('invalid' in read) return { kind: 'invalid', reason: read.invalid };
  const { branch, ...set } = read.flags;
  if (branch !== undefined || read.pullRequest || read.rest.trim() !== '') {
    return { kind: 'invalid', reason: '`/codex defaults` takes `--repo NAME`, `--model NAME` and `--personality NAME` (or `reset`), like `/codex defaults --repo billing --personality friendly`.' };
  }
  return { kind: 'defaults', set };
}

function parseTask(args: string, verb: string): ParsedCommand {
  const read = readFlags(args);
  if ('invalid' in read) return { kind: 'invalid', reason: read.invalid };
  const { flags, rest } = read;
  if (flags.branch !== undefined && !BRANCH.test(flags.branch)) {
    return { kind: 'invalid', reason: `\`${flags.branch}\` is not a valid branch name.` };
  }
  if (read.pullRequest && verb !== 'task' && verb !== 'schedule') return { kind: 'invalid', reason: `\`--pr\` goes with \`/codex task\`: a \`${verb}\` turn changes nothing to open a pull request with.` };
  const prompt = rest.trim();
  if (prompt === '') return { kind: 'invalid', reason: `Say what the task is after \`${verb}\`, like \`/codex ${verb} add retries to the billing client\`.` };
  return { kind: 'task', prompt, ...flags, ...(read.pullRequest ? { pullRequest: true } : {}) };
}

/** `schedule "<cron>" [--repo NAME] [--model NAME] [--personality NAME] [--pr] <prompt>`: the cron line in quotes (Slack may send curly ones). */
function parseSchedule(args: string): ParsedCommand {
  const m = /^["\u201c\u201d']([^"\u201c\u201d']+)["\u201c\u201d']\s*([\s\S]*)$/.exec(args);
  if (!m) return { kind: 'invalid', reason: 'Put the cron line in quotes, then the prompt: `/codex schedule "0 9 * * 1-5" summarise yesterday\'s CI failures`.' };
  const task = parseTask(m[2]!, 'schedule');
  if (task.kind !== 'task') return task;
  const { kind: _kind, mode: _mode, prompt, ...flags } = task;
  return { kind: 'schedule', cron: m[1]!.trim(), prompt, ...flags };
}

const PR_URL = /^https?:\/\/[^/\s]+\/([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)\/pull\/(\d+)\/?(?:[#?].*)?$/;

/** `review [--repo NAME] <branch | number | URL>`: what to review. */
function parseReview(args: string): ParsedCommand {
  const usage = 'Say what to review after `review`: a branch, a pull request number or its URL, like `/codex review 42` or `/codex review --repo billing feature/retries`.';
  const words = args.split(/\s+/).filter(Boolean);
  let repo: string | undefined;
  if (words[0] === '--repo' || words[0]?.startsWith('--repo=')) {
    repo = words[0] === '--repo' ? words[1] : words[0].slice('--repo='.length);
    words.splice(0, words[0] === '--repo' ? 2 : 1);
    if (!repo || repo.startsWith('--')) return { kind: 'invalid', reason: '`--repo` needs a value, like `--repo billing`.' };
  }
  if (words.length !== 1) return { kind: 'invalid', reason: usage };
  const target = words[0]!;
  const url = PR_URL.exec(target);
  if (url) return { kind: 'review', repo, pullRequest: Number(url[3]), owner: url[1], name: url[2] };
  if (/^#?\d+$/.test(target)) return { kind: 'review', repo, pullRequest: Number(target.replace('#', '')) };
  if (!BRANCH.test(target)) return { kind: 'invalid', reason: `\`${target}\` is not a branch name, pull request number or pull request URL. ${usage}` };
  return { kind: 'review', repo, branch: target };
}
