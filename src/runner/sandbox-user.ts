import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The uid and gid a sandbox container runs as; they must own the checkout so it can write it. */
export interface SandboxUser {
  uid: number;
  gid: number;
}

/** The default image's `agent` user (sandbox/Dockerfile creates it with uid and gid 1000). */
export const IMAGE_USER: SandboxUser = { uid: 1000, gid: 1000 };

/**
 * Who the sandbox runs as, given who the worker is. A root worker can give the checkout away,
 * so it chowns it to the image's unprivileged user. A non-root worker cannot chown; its
 * checkout is already owned by its own uid, so the container runs as that uid instead (never
 * as root: a uid 0 container would make a kernel escape far more valuable).
 */
export function sandboxUserFor(workerUid = process.getuid?.() ?? IMAGE_USER.uid, workerGid = process.getgid?.() ?? IMAGE_USER.gid): SandboxUser {
  if (workerUid === 0) return IMAGE_USER;
  return { uid: workerUid, gid: workerGid };
}

/** Gives a tree to the sandbox user without following symlinks (`-h`, and `-R` never traverses them). */
export async function chownTree(dir: string, user: SandboxUser): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await execFileAsync('chown', ['-R', '-h', `${user.uid}:${user.gid}`, '--', dir]);
}
