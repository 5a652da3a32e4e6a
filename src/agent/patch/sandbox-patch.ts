import type { Sandbox } from '../../runner/sandbox.js';
import { parsePatch } from './parse-patch.js';
import { pathsOf, planPatch, type PatchPlan } from './apply-patch.js';

/*
 * apply_patch against the checkout: read every named file through the Sandbox, compute the
 * whole result in memory (planPatch), and only then write. A patch that does not apply
 * therefore changes nothing.
 */

/** Parses the patch and computes its result against the checkout's current files. */
export async function preparePatch(sandbox: Sandbox, patchText: string): Promise<PatchPlan> {
  const ops = parsePatch(patchText);
  const files = new Map<string, string | undefined>();
  for (const path of pathsOf(ops)) {
    files.set(path, (await sandbox.fileExists(path)) ? await sandbox.readFile(path) : undefined);
  }
  return planPatch(ops, files);
}

/** Writes a prepared patch: deletes first (a move's source), then writes, in patch order. */
export async function writePatch(sandbox: Sandbox, plan: PatchPlan): Promise<void> {
  for (const w of plan.writes) if (w.content === undefined) await sandbox.deleteFile(w.path);
  for (const w of plan.writes) if (w.content !== undefined) await sandbox.writeFile(w.path, w.content);
}
