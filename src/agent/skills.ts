import { parse as parseYaml } from 'yaml';
import { INSTALLATION_SKILLS_DIR, type Sandbox } from '../runner/sandbox.js';

/*
 * Skills: reusable instructions (and the scripts beside them) in `<dir>/<name>/SKILL.md`, with
 * YAML front matter `name` and `description`, then the instructions. Two places, both read
 * through the sandbox: the repo's `.codex/skills` (in the checkout) and the installation's
 * (config `skillsDir`, mounted read-only at INSTALLATION_SKILLS_DIR). A repo skill wins over an
 * installation skill of the same name. A file whose front matter is not valid is skipped and
 * reported (the caller emits `skill_invalid`).
 */

export const REPO_SKILLS_DIR = '/workspace/.codex/skills';
/** Bytes of a SKILL.md read at most (a bigger one is skipped as invalid). */
export const SKILL_FILE_MAX = 64 * 1024;

export interface Skill {
  name: string;
  description: string;
  /** Absolute path inside the sandbox. */
  path: string;
  source: 'repo' | 'installation';
  /** The whole file, front matter included. */
  text: string;
}

export interface SkillProblem {
  path: string;
  problem: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** Parses one SKILL.md: a skill, or why it is not one. */
export function parseSkill(path: string, text: string, source: Skill['source']): Skill | SkillProblem {
  const match = FRONT_MATTER.exec(text);
  if (!match) return { path, problem: 'it does not start with YAML front matter between `---` lines' };
  let data: unknown;
  try {
    data = parseYaml(match[1]!, { prettyErrors: true });
  } catch (e) {
    return { path, problem: `its front matter is not valid YAML: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { path, problem: 'its front matter is not a mapping with `name` and `description`' };
  const { name, description } = data as Record<string, unknown>;
  if (typeof name !== 'string' || !NAME.test(name)) return { path, problem: '`name` must be letters, digits, `-` or `_`' };
  if (typeof description !== 'string' || description.trim() === '') return { path, problem: '`description` must be a non-empty string' };
  return { name, description: description.trim(), path, source, text };
}

/** Finds and parses every skill, sorted by name (so the list in the instructions is byte-stable). */
export async function loadSkills(sandbox: Sandbox): Promise<{ skills: Skill[]; problems: SkillProblem[] }> {
  const list = await sandbox.exec(`for f in ${REPO_SKILLS_DIR}/*/SKILL.md ${INSTALLATION_SKILLS_DIR}/*/SKILL.md; do [ -f "$f" ] && printf '%s\\n' "$f"; done; true`, { timeoutMs: 10_000 });
  const paths = list.stdout.split('\n').filter((p) => p.startsWith('/'));
  const byName = new Map<string, Skill>();
  const problems: SkillProblem[] = [];
  for (const path of paths) {
    const source = path.startsWith(`${REPO_SKILLS_DIR}/`) ? 'repo' : 'installation';
    const read = await sandbox.exec(`head -c ${SKILL_FILE_MAX + 1} -- '${path.replace(/'/g, `'\\''`)}'`, { timeoutMs: 10_000 });
    if (read.exitCode !== 0) {
      problems.push({ path, problem: 'it could not be read' });
      continue;
    }
    if (Buffer.byteLength(read.stdout) > SKILL_FILE_MAX || read.truncated) {
      problems.push({ path, problem: `it is larger than ${SKILL_FILE_MAX / 1024} KiB` });
      continue;
    }
    const parsed = parseSkill(path, read.stdout, source);
    if (!('name' in parsed)) problems.push(parsed);
    else if (!byName.has(parsed.name)) byName.set(parsed.name, parsed); // repo paths come first
  }
  return { skills: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), problems };
}

/** The skills named with `$<name>` in `text`, once each, in order of mention. */
export function mentionedSkills(text: string, skills: readonly Skill[]): Skill[] {
  const found: Skill[] = [];
  for (const m of text.matchAll(/(?<![\w$])\$([A-Za-z0-9][A-Za-z0-9_-]*)/g)) {
    const skill = skills.find((s) => s.name === m[1]);
    if (skill && !found.includes(skill)) found.push(skill);
  }
  return found;
}
