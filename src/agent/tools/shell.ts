import { z } from 'zod';
import type { ApprovalPolicy } from '../../config.js';
import { errorMessage } from '../../errors.js';
import type { ExecResult } from '../../runner/sandbox.js';
import { checkWorkspacePath, containerPath } from '../../runner/workspace-path.js';
import { redactSecrets } from '../../util/redact.js';
import { commandNeeds } from '../approval-policy.js';
import { headAndTail, joinStreams, lastLines } from './output-format.js';
import { defineTool, type Tool } from './tool.js';

const DESCRIPTION = `Runs a bash command line (bash -lc) in the repository checkout at /workspace, inside an isolated container, and returns its exit code and output.

Use it to explore (rg, rg --files, ls, cat, sed -n '1,120p' file, git status, git diff), to build and to run tests. Prefer rg over grep and find. Read files in chunks of a few hundred lines at most. Output is capped: long output keeps its beginning and end, so narrow searches instead of dumping large files.

The network is off. If a command truly needs it (installing dependencies, fetching), set with_network: true and say why in justification; it may need a person's approval. Each command has a timeout (timeout_ms, capped by the host); long-running servers or watchers will be killed, so run things that finish.

Do not commit, push or create branches: the host commits your changes when you finish. Edit files with apply_patch, not with shell redirections or sed -i.`;

const ON_REQUEST = `

If a command is risky or irreversible (deleting many files, rewriting history, touching things outside the repository), set require_approval: true with a one-sentence justification; a person decides before it runs.`;

/** The shell tool. Its schema depends on the policy (require_approval exists only in on-request mode). */
export function createShellTool(policy: ApprovalPolicy): Tool {
  const base = z.object({
    command: z.string().min(1).describe('The command line, run with bash -lc in the working directory.'),
    workdir: z.string().optional().describe('Working directory relative to the repository root (default: the root).'),
    timeout_ms: z.number().int().positive().optional().describe('Milliseconds before the command is killed (default and maximum set by the host).'),
    with_network: z.boolean().optional().describe('True only when the command needs network access.'),
    justification: z.string().optional().describe('Why the command needs network access or approval; shown to the person who approves.'),
  });
  const onRequest = policy.mode === 'on-request';
  const parameters = onRequest ? base.extend({ require_approval: z.boolean().optional().describe('Ask a person before running this command.') }) : base;

  return defineTool({
    name: 'shell',
    description: DESCRIPTION + (onRequest ? ON_REQUEST : ''),
    parameters,
    changesFiles: true,
    describe: (args) => args.command,
    async execute(args: z.infer<typeof base> & { require_approval?: boolean }, ctx) {
      const withNetwork = args.with_network === true;
      const needs = commandNeeds(args.command, { withNetwork, requireApproval: args.require_approval === true }, policy);
      if (needs.length > 0) {
        const request = { needs, command: args.command, workdir: shownWorkdir(args.workdir), subject: 'this command' };
        const result = await ctx.approvals.request(args.justification ? { ...request, reason: args.justification } : request, ctx.signal);
        if (result.outcome === 'denied') return result.message;
        if (result.outcome === 'stopped') return 'The command did not run: the user stopped the step.';
      }
      const maxMs = ctx.limits.maxCommandTimeoutSec * 1000;
      const timeoutMs = Math.min(args.timeout_ms ?? ctx.limits.commandTimeoutSec * 1000, maxMs);
      await ctx.emit({ type: 'command_started', callId: ctx.callId, command: args.command });
      const options = { timeoutMs, signal: ctx.signal, network: withNetwork };
      let result: ExecResult;
      try {
        result = await ctx.sandbox.exec(args.command, args.workdir ? { ...options, cwd: args.workdir } : options);
      } catch (e) {
        // Every command_started gets its command_finished, or the status card shows it running forever.
        await ctx.emit({ type: 'command_finished', callId: ctx.callId, command: args.command, exitCode: -1, durationMs: 0, timedOut: false, outputTail: lastLines(redactSecrets(errorMessage(e))) });
        throw e;
      }
      const output = joinStreams(result.stdout, result.stderr);
      await ctx.emit({
        type: 'command_finished',
        callId: ctx.callId,
        command: args.command,
        exitCode: Math.trunc(result.exitCode),
        durationMs: Math.max(0, result.durationMs),
        timedOut: result.timedOut,
        // Redacted whole, then cut: the tail alone can hold the body of a key whose BEGIN line
        // it lost, or half a token, which no rule recognises any more.
        outputTail: lastLines(redactSecrets(output)),
      });
      const lines = [`Exit code: ${result.exitCode}`, `Wall time: ${(result.durationMs / 1000).toFixed(1)} s`];
      if (result.timedOut) lines.push(`Timed out after ${Math.round(timeoutMs / 1000)} s; the command was killed. Run something shorter or pass a larger timeout_ms (at most ${Math.round(maxMs / 1000)} s).`);
      if (result.aborted) lines.push('Interrupted by the user; the command was killed.');
      lines.push('Output:', output === '' ? '(no output)' : headAndTail(output));
      return lines.join('\n');
    },
  }) as Tool;
}

/** The working directory as the sandbox will resolve it; a path it would refuse is shown as given. */
function shownWorkdir(workdir: string | undefined): string {
  try {
    return containerPath(checkWorkspacePath(workdir ?? ''));
  } catch {
    return workdir ?? '';
  }
}
