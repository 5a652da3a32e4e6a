import type { ApprovalPolicy } from '../config.js';
import type { ApprovalKind, DiffStat } from '../tasks/protocol.js';

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

/** True when the command looks like it pushes a branch or opens a pull request. */
export function isPushCommand(command: string): boolean {
  return PUSH.test(command);
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

/** What a shell command needs before it runs, most specific first. */
export function commandNeeds(command: string, flags: { withNetwork: boolean; requireApproval: boolean }, policy: ApprovalPolicy): ApprovalNeed[] {
  const needs: ApprovalNeed[] = [];
  if (policy.push && isPushCommand(command)) needs.push({ kind: 'push', key: 'push', why: 'it pushes a branch or opens a pull request' });
  if (policy.network && flags.withNetwork) needs.push({ kind: 'network', key: 'network', why: 'it needs network access' });
  for (const pattern of policy.commandPatterns) {
    if (matcher(pattern)(command)) needs.push({ kind: 'command', key: `pattern:${pattern}`, why: `it matches the pattern /${pattern}/` });
  }
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
