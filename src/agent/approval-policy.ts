import type { ApprovalPolicy } from '../config.js';
import type { ApprovalKind, DiffStat } from '../tasks/protocol.js';
import { parseShellCommands } from './shell-commands.js';

/*
 * When a tool call must wait for a person (config.ts ApprovalPolicy), as pure rules. Each
 * reason to ask is a need with a grant key: "Approve for this task" grants the keys of the
 * request, and a later request whose keys are all granted runs without asking. Keys are the
 * kind, except for command patterns, which are granted one pattern at a time.
 */

export interface ApprovalNeed {
  kind: ApprovalKind;
  key: string;
  /** Why the policy asks, for the model and the logs. */
  why: string;
}

const PUSH = /(^|[\s;&|(])(git(\s+-\S+(\s+\S+)?)*\s+push|gh\s+pr\s+create)\b/;
/** The same on one simple command: the program is git (or gh), not an argument. */
const PUSH_COMMAND = /^(git(\s+-\S+(\s+\S+)?)*\s+push|gh\s+pr\s+create)\b/;

/**
 * What the checks look at: the raw command line and each of its simple commands, normalised
 * (shell-commands.ts). When the script cannot be parsed, only the raw line.
 */
function candidates(command: string): { texts: string[]; simple: string[]; unparsed?: string } {
  const parsed = parseShellCommands(command);
  if (!parsed.ok) return { texts: [command], simple: [], unparsed: parsed.reason };
  const simple = parsed.commands.map((argv) => argv.join(' '));
  return { texts: [command, ...simple], simple };
}

/**
 * True when a command of the script pushes a branch or opens a pull request (on the simple
 * commands, so `echo "git push"` is not one; on the raw line when it cannot be parsed).
 */
export function isPushCommand(command: string): boolean {
  return pushes(candidates(command));
}

function pushes(c: { simple: string[]; unparsed?: string; texts: string[] }): boolean {
  return c.unparsed !== undefined ? c.texts.some((t) => PUSH.test(t)) : c.simple.some((t) => PUSH_COMMAND.test(t));
}

/** Compiles a policy pattern; one that is not a valid regex matches as plain text. */
function matcher(pattern: string): (command: string) => boolean {
  try {
    const re = new RegExp(pattern);
    return (c) => re.test(c);
  } catch {
    return (c) => c.includes(pattern);
  }
}

/**
 * What a shell command needs before it runs, most specific first. Patterns and the push rule
 * are checked on every simple command of the parsed script, not only on the raw line; a script
 * that cannot be parsed (or runs a command only known at run time) needs approval whenever
 * such a check is configured, because the checks cannot see into it (fail closed). The checks
 * are advisory: see shell-commands.ts for what they cannot see.
 */
export function commandNeeds(command: string, flags: { withNetwork: boolean; requireApproval: boolean }, policy: ApprovalPolicy): ApprovalNeed[] {
  const needs: ApprovalNeed[] = [];
  const checked = policy.push || policy.commandPatterns.length > 0;
  const c = checked ? candidates(command) : { texts: [command], simple: [], unparsed: undefined };
  const { texts, unparsed } = c;
  if (policy.push && pushes(c)) needs.push({ kind: 'push', key: 'push', why: 'it pushes a branch or opens a pull request' });
  if (policy.network && flags.withNetwork) needs.push({ kind: 'network', key: 'network', why: 'it needs network access' });
  for (const pattern of policy.commandPatterns) {
    const matches = matcher(pattern);
    if (texts.some(matches)) needs.push({ kind: 'command', key: `pattern:${pattern}`, why: `it matches the pattern /${pattern}/` });
  }
  // Granted per command line: approving one opaque script grants nothing else.
  if (unparsed !== undefined) needs.push({ kind: 'command', key: `unparsed:${command}`, why: `the approval rules cannot check it (${unparsed})` });
  if (policy.mode === 'on-request' && flags.requireApproval) needs.push({ kind: 'command', key: 'on-request', why: 'the agent asked for approval' });
  return needs;
}

/** What a patch needs before it is written. */
export function patchNeeds(diffStat: DiffStat, policy: ApprovalPolicy): ApprovalNeed[] {
  const lines = diffStat.added + diffStat.removed;
  if (policy.changeLinesOver > 0 && lines > policy.changeLinesOver) {
    return [{ kind: 'patch', key: 'patch', why: `it changes ${lines} lines (more than ${policy.changeLinesOver})` }];
  }
  return [];
}
