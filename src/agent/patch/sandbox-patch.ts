import type { Sandbox } from '../../runner/sandbox.js';
import { parsePatch } from './parse-patch.js';
import { pathsOf, planPatch, type PatchPlan } from './apply-patch.js';

/*
 * apply_patch against the checkout: read every named file through the Sandbox, compute the
 * whole result in memory (planPatch), and only then write. A patch that does not apply
 * therefore changes nothing.
 */

const NOT_TEXT = new Set(['sandbox_file_binary', 'sandbox_file_not_utf8']);

/** Parses the patch and computes its result against the checkout's current files. */
export async function preparePatch(sandbox: Sandbox, patchText: string): Promise<PatchPlan> {
  const ops = parsePatch(patchText);
  const files = new Map<string, string | undefined>();
  // A file the patch only deletes need not be text: its content is not edited, only counted.
  const edited = new Set(pathsOf(ops.filter((op) => op.kind !== 'delete')));
  for (const path of pathsOf(ops)) {
    if (!(await sandbox.fileExists(path))) files.set(path, undefined);
    else if (edited.has(path)) files.set(path, await sandbox.readFile(path)); // refuses binary, non-UTF-8 and cut reads
    else files.set(path, await sandbox.readFile(path).catch((e: unknown) => (NOT_TEXT.has((e as { code?: string }).code ?? '') ? '' : Promise.reject(e))));
  }
  return planPatch(ops, files);
}

/**
 * Writes a prepared patch: new content first (each file written atomically by the sandbox),
 * deletions (a move's source) after, so a failure part-way never loses a file's only copy. A
 * deleted file that stands where a written file needs a directory (`a` deleted, `a/b` added)
 * is deleted first, as it must be.
 */
export async function writePatch(sandbox: Sandbox, plan: PatchPlan): Promise<void> {
  const deletes = plan.writes.filter((w) => w.content === undefined);
  const writes = plan.writes.filter((w) => w.content !== undefined);
  const inTheWay = (d: { path: string }) => writes.some((w) => w.path.startsWith(`${d.path}/`));
  for (const d of deletes) if (inTheWay(d)) await sandbox.deleteFile(d.path);
  for (const w of writes) await sandbox.writeFile(w.path, w.content!);
  for (const d of deletes) if (!inTheWay(d)) await sandbox.deleteFile(d.path);
}
