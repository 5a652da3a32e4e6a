import { z } from 'zod';
import type { ApprovalPolicy } from '../../config.js';
import type { DiffStat } from '../../tasks/protocol.js';
import { patchNeeds } from '../approval-policy.js';
import { preparePatch, writePatch } from '../patch/sandbox-patch.js';
import { defineTool, type Tool } from './tool.js';

const DESCRIPTION = `Edits files of the repository with a patch. This is the only way to create, change, delete or rename files. The patch is applied completely or not at all.

Format (paths relative to the repository root, never absolute):

*** Begin Patch
*** Add File: path/to/new_file.py
+every line of the new file, each prefixed with +
*** Delete File: path/to/obsolete.py
*** Update File: path/to/file.py
*** Move to: path/to/renamed.py        (optional, to rename the file)
@@ def function_or_class_containing_the_change():
 context line (prefixed with a space)
-removed line
+added line
 context line
@@ another hunk, further down the same file
-old
+new
*** End Patch

Rules for Update File hunks:
- Start each hunk with "@@", optionally followed by one line of the file (usually the enclosing function or class) that appears before the change; it narrows where the hunk applies.
- Show 3 lines of unchanged context before and after each change, each prefixed with a single space. Copy context and removed lines exactly from the current file.
- Hunks of one file must be in file order. Use "*** End of File" after a hunk that ends at the end of the file.
- Every line of the patch body starts with " ", "-" or "+" (an empty context line is a single space).

If the patch does not apply, nothing is changed and the error names the file and hunk: re-read the file and send a corrected patch.`;

const parameters = z.object({
  input: z.string().min(1).describe('The whole patch, from "*** Begin Patch" to "*** End Patch".'),
});

/** The apply_patch tool: parse, compute every file in memory, ask if the policy says so, then write. */
export function createApplyPatchTool(policy: ApprovalPolicy): Tool {
  return defineTool({
    name: 'apply_patch',
    description: DESCRIPTION,
    parameters,
    changesFiles: true,
    describe: (args) => `apply_patch ${patchedFiles(args.input).join(' ')}`.trim(),
    async execute(args, ctx) {
      const plan = await preparePatch(ctx.sandbox, args.input);
      const diffStat: DiffStat = {
        files: plan.files,
        added: plan.files.reduce((n, f) => n + f.added, 0),
        removed: plan.files.reduce((n, f) => n + f.removed, 0),
      };
      const needs = patchNeeds(diffStat, policy);
      if (needs.length > 0) {
        const result = await ctx.approvals.request({ needs, diffStat, subject: 'this patch' }, ctx.signal);
        if (result.outcome === 'denied') return result.message;
        if (result.outcome === 'stopped') return 'The patch was not applied: the user stopped the step.';
      }
      await writePatch(ctx.sandbox, plan);
      if (plan.files.length > 0) await ctx.emit({ type: 'files_changed', files: plan.files });
      const summary = plan.files.map((f) => `  ${f.path} (+${f.added} -${f.removed})`).join('\n');
      return plan.files.length === 0 ? 'The patch changed nothing.' : `Success. Updated the following files:\n${summary}`;
    },
  }) as Tool;
}

/** The paths a patch names (added, updated or deleted), for a one-line description of it. */
function patchedFiles(patch: string): string[] {
  return [...patch.matchAll(/^\*\*\* (?:Add|Update|Delete) File: (.+)$/gm)].map((m) => m[1]!.trim()).slice(0, 5);
}
