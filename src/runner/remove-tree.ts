import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Removes a checkout. `rm` never follows symlinks, so links the sandbox planted cannot make the
 * host delete anything outside. A non-root worker cannot delete entries of a directory the
 * sandbox made read-only (chmod 555), so on failure write permission is restored first.
 */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    await execFileAsync('chmod', ['-R', 'u+rwx', '--', dir]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
