import { chmod, cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/*
 * The installation's skills (config `skillsDir`) as the sandbox gets them: a copy in the
 * worker's data directory, readable by any uid (the sandbox runs as its own user), mounted
 * read-only at INSTALLATION_SKILLS_DIR. Symlinks are copied as links, never followed, so
 * nothing outside the folder is copied in. Taken when the worker starts.
 */
export async function snapshotSkills(skillsDir: string, dataDir: string): Promise<string> {
  const target = join(dataDir, 'installation-skills');
  await rm(target, { recursive: true, force: true });
  await cp(skillsDir, target, { recursive: true, verbatimSymlinks: true, dereference: false });
  await makeReadable(target);
  return target;
}

async function makeReadable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeReadable(path);
    else if (entry.isFile()) await chmod(path, 0o644);
  }
}
