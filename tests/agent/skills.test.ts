import { describe, expect, it } from 'vitest';
import { skillsSection, SKILLS_LISTED_MAX } from '../../src/agent/prompts.js';
import { mentionedSkills, parseSkill, type Skill } from '../../src/agent/skills.js';

/* Skill files: front matter parsed with the yaml library; the bounded list in the instructions; $-mentions. */

const path = '/workspace/.codex/skills/x/SKILL.md';

describe('parseSkill', () => {
  it('reads name and description from YAML front matter, multi-line values included', () => {
    const skill = parseSkill(path, '---\nname: db-migrate\ndescription: >\n  Write a migration\n  and test it.\n---\nSteps…\n', 'repo');
    expect(skill).toMatchObject({ name: 'db-migrate', description: 'Write a migration and test it.', source: 'repo' });
  });

  it('says why a file is not a skill', () => {
    const problem = (text: string) => (parseSkill(path, text, 'repo') as { problem?: string }).problem;
    expect(problem('# no front matter\n')).toMatch(/does not start with YAML front matter/);
    expect(problem('---\nname: [x\n---\n')).toMatch(/not valid YAML/);
    expect(problem('---\n- a\n- b\n---\n')).toMatch(/not a mapping/);
    expect(problem('---\nname: has space\ndescription: d\n---\n')).toMatch(/`name`/);
    expect(problem('---\nname: ok\n---\n')).toMatch(/`description`/);
  });
});

describe('skills in the instructions', () => {
  const skill = (name: string, description = 'd'): Skill => ({ name, description, path: `/workspace/.codex/skills/${name}/SKILL.md`, source: 'repo', text: '' });

  it('caps the count and each description, and says how many were left out', () => {
    const many = Array.from({ length: SKILLS_LISTED_MAX + 5 }, (_, i) => skill(`s${String(i).padStart(3, '0')}`, 'x'.repeat(1000)));
    const text = skillsSection(many);
    expect(text.length).toBeLessThanOrEqual(10_400);
    expect(text).not.toContain('x'.repeat(400));
    expect(text).toMatch(/… and \d+ more/);
    expect(skillsSection(many)).toBe(text);
  });

  it('finds $-mentions of known skills only, once each', () => {
    const skills = [skill('deploy'), skill('lint-fix')];
    expect(mentionedSkills('run $deploy, then $lint-fix and $deploy again; $HOME and US$5 are not skills', skills).map((s) => s.name)).toEqual(['deploy', 'lint-fix']);
  });
});
