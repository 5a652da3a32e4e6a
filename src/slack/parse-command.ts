/*
 * Parses the text after `/codex`. Subcommands start with a verb (ARCHITECTURE.md):
 *   task [--repo NAME] [--branch BRANCH] [--pr] <prompt>   (--pr: open a pull request at the end)
 *   plan [--repo NAME] [--branch BRANCH] <prompt>   (explore and propose a plan; change nothing)
 *   review [--repo NAME] <branch | pull request number | pull request URL>   (read-only review)
 *   status [task id]
 *   cancel <task id>
 *   help
 * Anything else is `invalid` with a reason the usage message shows.
 */

import { TASK_ID_PATTERN } from '../tasks/task-record.js';

export type ParsedCommand =
  | { kind: 'task'; prompt: string; repo?: string; branch?: string; mode?: 'plan'; pullRequest?: boolean }
  | { kind: 'review'; repo?: string; branch?: string; pullRequest?: number; owner?: string; name?: string }
  | { kind: 'status'; taskId?: string }
  | { kind: 'cancel'; taskId: string }
  | { kind: 'help' }
  | { kind: 'invalid'; reason: string };

const FLAG = /^--(repo|branch)(?:=(.*))?$/;
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
    case 'task':
      return parseTask(after, verb);
    case 'review':
      return parseReview(after);
    case 'plan': {
      const parsed = parseTask(after, verb);
      return parsed.kind === 'task' ? { ...parsed, mode: 'plan' } : parsed;
    }
    default:
      return { kind: 'invalid', reason: `\`${verbRaw}\` is not a /codex command. To start a task, begin with \`task\`: \`/codex task ${trimmed}\`.` };
  }
}

function parseTask(args: string, verb: string): ParsedCommand {
  let rest = args;
  const flags: { repo?: string; branch?: string; pullRequest?: boolean } = {};
  for (;;) {
    const m = /^(\S+)(?:\s+|$)/.exec(rest);
    if (!m) break;
    if (m[1] === '--pr' && verb === 'task') {
      flags.pullRequest = true;
      rest = rest.slice(m[0].length);
      continue;
    }
    const flag = FLAG.exec(m[1]!);
    if (!flag) break;
    const name = flag[1] as 'repo' | 'branch';
    let value = flag[2];
    rest = rest.slice(m[0].length);
    if (value === undefined) {
      const v = /^(\S+)(?:\s+|$)/.exec(rest);
      if (!v || v[1]!.startsWith('--')) return { kind: 'invalid', reason: `\`--${name}\` needs a value, like \`--${name} ${name === 'repo' ? 'billing' : 'main'}\`.` };
      value = v[1]!;
      rest = rest.slice(v[0].length);
    }
    if (value === '') return { kind: 'invalid', reason: `\`--${name}\` needs a value.` };
    if (flags[name] !== undefined) return { kind: 'invalid', reason: `\`--${name}\` is given twice.` };
    flags[name] = value;
  }
  if (flags.branch !== undefined && !BRANCH.test(flags.branch)) {
    return { kind: 'invalid', reason: `\`${flags.branch}\` is not a valid branch name.` };
  }
  const prompt = rest.trim();
  if (prompt === '') return { kind: 'invalid', reason: `Say what the task is after \`${verb}\`, like \`/codex ${verb} add retries to the billing client\`.` };
  return { kind: 'task', prompt, ...flags };
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
