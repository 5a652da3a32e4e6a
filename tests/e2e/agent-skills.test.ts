import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply, userMessages } from '../fakes/model-server.js';
import { CALC_FILES, FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { replyInThread, shown, startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Skills: the repo's `.codex/skills/<name>/SKILL.md` and the installation's (config
 * `skillsDir`, read-only in the sandbox) are listed in every request's instructions; `$<name>`
 * in the prompt or a reply puts that SKILL.md whole into the conversation; the model reads
 * others itself; a malformed one is skipped and said once in the thread.
 */

let e: E2E | undefined;
let skillsDir: string | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
  if (skillsDir) rmSync(skillsDir, { recursive: true, force: true });
  skillsDir = undefined;
});

const { channel, owner } = FAKE_IDS;

const RELEASE = `---
name: release-notes
description: Write release notes from the git log since the last tag.
---
# Release notes
1. Run git log --oneline since the last tag. RELEASE-BODY-MARKER
`;
const BROKEN = `---
name: broken
description: [unclosed
---
Never listed.
`;
const DEPLOY = `---
name: deploy
description: "Deploy the service: build, smoke test, then roll out."
---
Run ./deploy.sh --smoke first. DEPLOY-BODY-MARKER
`;
const LINT = `---
name: lint-fix
description: Fix lint errors with the project's own linter settings.
---
LINT-BODY-MARKER
`;

describe('skills', () => {
  it('lists repo and installation skills in every request, puts $-named ones into the conversation, lets the model read others, and reports a malformed one once', { timeout: 120_000 }, async () => {
    skillsDir = mkdtempSync(join(tmpdir(), 'codex-skills-'));
    for (const [name, text] of Object.entries({ deploy: DEPLOY, 'lint-fix': LINT })) {
      mkdirSync(join(skillsDir, name));
      writeFileSync(join(skillsDir, name, 'SKILL.md'), text);
    }
    e = await startE2E({
      files: { ...CALC_FILES, '.codex/skills/release-notes/SKILL.md': RELEASE, '.codex/skills/broken/SKILL.md': BROKEN },
      repoConfig: { skillsDir },
      script: [
        // Turn 1: the model reads an installation skill nobody named, and tries to change it.
        reply(functionCall('shell', { command: 'cat /opt/codex/skills/lint-fix/SKILL.md; touch /opt/codex/skills/lint-fix/x 2>&1 || echo READ-ONLY' })),
        (req) => {
          if (!lastToolOutput(req).includes('LINT-BODY-MARKER')) throw new Error(`the installation skill was not readable: ${lastToolOutput(req)}`);
          return reply(message('Deployed.'));
        },
        // Turn 2 (a reply naming another skill).
        reply(message('Release notes written.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'ship it with $deploy please');
    await waitStatus(e, taskId, 'done', 60_000);

    const first = e.model.requests[0]!;
    const instructions = first.body.instructions as string;
    expect(instructions).toContain('- deploy: Deploy the service: build, smoke test, then roll out. (file: /opt/codex/skills/deploy/SKILL.md)');
    expect(instructions).toContain('- lint-fix: Fix lint errors');
    expect(instructions).toContain('- release-notes: Write release notes from the git log since the last tag. (file: /workspace/.codex/skills/release-notes/SKILL.md)');
    expect(instructions).not.toContain('broken');
    // $deploy put the whole file in; the others stay out until read.
    const said = userMessages(first).join('\n');
    expect(said).toContain(DEPLOY);
    expect(said).not.toContain('RELEASE-BODY-MARKER');
    expect(said).not.toContain('LINT-BODY-MARKER');
    // The installation's skills are read-only in the sandbox.
    expect(lastToolOutput(e.model.requests[1]!)).toContain('READ-ONLY');

    // A reply naming a skill starts turn 2 with that skill in the conversation.
    await replyInThread(e, card.ts, owner, 'now $release-notes for this change');
    await e.fake.waitFor(async () => (await e!.store.getTask(taskId))?.turn === 2 && (await e!.store.getTask(taskId))?.status === 'done', 60_000);
    const third = e.model.requests[2]!;
    expect(userMessages(third).at(-1)).toContain('RELEASE-BODY-MARKER');
    expect(userMessages(third).join('\n').split('DEPLOY-BODY-MARKER').length - 1).toBe(1);
    // The instructions are the same bytes in every request of the task.
    for (const r of e.model.requests) expect(r.body.instructions).toBe(instructions);

    // The malformed skill: reported by each turn, said in the thread once.
    const events = (await e.store.readEvents(taskId)).filter((ev) => ev.type === 'skill_invalid');
    expect(events.length).toBe(2);
    expect(events[0]).toMatchObject({ path: '/workspace/.codex/skills/broken/SKILL.md' });
    await waitEvent(e, taskId, 'task_completed', (ev) => ev.seq > events[1]!.seq);
    await e.fake.waitFor(() => e!.fake.thread(channel, card.ts).filter((m) => shown(m).includes('Release notes written')).length > 0, 20_000);
    const notes = e.fake.thread(channel, card.ts).filter((m) => shown(m).includes('Skipped the skill'));
    expect(notes).toHaveLength(1);
    expect(shown(notes[0]!)).toContain('.codex/skills/broken/SKILL.md');
  });
});
