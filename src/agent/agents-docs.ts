import { posix } from 'node:path';
import type { Sandbox } from '../runner/sandbox.js';

/*
 * The repository's own instructions for agents, read as Codex reads them: in each directory
 * from the repository root down to the working directory, AGENTS.override.md if present,
 * else AGENTS.md; concatenated root first, capped in total (Codex's default cap, 32 KiB).
 */

export const AGENTS_DOCS_CAP = 32 * 1024;

export interface AgentsDoc {
  path: string;
  text: string;
}

/** Reads the AGENTS.md files on the path from the root to `cwd` (relative to /workspace). */
export async function loadAgentsDocs(sandbox: Sandbox, cwd = '', cap = AGENTS_DOCS_CAP): Promise<AgentsDoc[]> {
  const parts = posix.normalize(cwd || '.').split('/').filter((p) => p !== '.' && p !== '');
  const dirs = [''];
  for (let i = 1; i <= parts.length; i += 1) dirs.push(parts.slice(0, i).join('/'));
  const docs: AgentsDoc[] = [];
  let left = cap;
  for (const dir of dirs) {
    if (left <= 0) break;
    for (const name of ['AGENTS.override.md', 'AGENTS.md']) {
      const path = dir ? `${dir}/${name}` : name;
      if (!(await sandbox.fileExists(path))) continue;
      const text = (await sandbox.readFile(path)).trim();
      if (text === '') break;
      const kept = Buffer.byteLength(text) <= left ? text : `${Buffer.from(text).subarray(0, left).toString('utf8').replace(/\uFFFD$/, '')}\n[… truncated: the AGENTS.md files exceed ${cap} bytes in total]`;
      docs.push({ path, text: kept });
      left -= Buffer.byteLength(text);
      break;
    }
  }
  return docs;
}
