import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { Workspace, type WorkspaceRepo } from '../../src/runner/workspace.js';
import { IMAGE, git, makeUpstream, removeProjectContainers, tempDir, testLimits, testTaskId, uniqueId } from './helpers.js';

/*
 * A hostile sandbox plants everything it can in the checkout that would make host git run a
 * program: hooks (default and via core.hooksPath), filters, diff drivers, fsmonitor, pager,
 * editor, credential helper, signing, an include, and a nested repository with its own traps.
 * Every trap would create a file in `marks` on the host. The host commit must run none.
 */
const project = uniqueId('codex-test-hostile-');
const root = tempDir('workspace-hostile');
const marks = tempDir('hostile-marks');
const controlMarks = tempDir('hostile-control-marks');
const dataDir = join(root.dir, 'data');
const upstreamDir = join(root.dir, 'upstream');
const repo: WorkspaceRepo = { name: uniqueId('repo'), url: upstreamDir, baseBranch: 'main' };
const workspace = new Workspace({ dataDir });

beforeAll(() => {
  chmodSync(marks.dir, 0o777);
  chmodSync(controlMarks.dir, 0o777);
  makeUpstream(upstreamDir, { 'data.txt': 'lowercase text\n' });
});

afterAll(async () => {
  await removeProjectContainers(project);
  root.cleanup();
  marks.cleanup();
  controlMarks.cleanup();
});

function trapsScript(hostCheckout: string, marksDir: string): string {
  const mark = (name: string) => `touch ${marksDir}/${name}`;
  const hook = (dir: string, name: string) => `mkdir -p ${dir} && printf '#!/bin/sh\\n${mark(`hook-${name}`)}\\n' > ${dir}/${name} && chmod +x ${dir}/${name}`;
  const hooks = ['pre-commit', 'commit-msg', 'post-commit', 'reference-transaction', 'post-index-change', 'pre-auto-gc', 'post-checkout'];
  return [
    'set -e',
    ...hooks.map((h) => hook('.git/hooks', h)),
    ...hooks.map((h) => hook('.evil-hooks', h)),
    // The worst case: the sandbox guessed the checkout's host path.
    `git config core.hooksPath ${hostCheckout}/.evil-hooks`,
    `git config filter.evil.clean "sh -c '${mark('filter-clean')}; tr a-z A-Z'"`,
    `git config filter.evil.smudge "sh -c '${mark('filter-smudge')}; cat'"`,
    `git config filter.evil.process "sh -c '${mark('filter-process')}'"`,
    'git config filter.evil.required true',
    `git config diff.evil.textconv "sh -c '${mark('textconv')}; cat'"`,
    `git config diff.external "sh -c '${mark('diff-external')}'"`,
    `git config core.fsmonitor "sh -c '${mark('fsmonitor')}'"`,
    `git config core.pager "sh -c '${mark('pager')}'"`,
    `git config core.editor "sh -c '${mark('editor')}'"`,
    `git config credential.helper "!sh -c '${mark('credential')}'"`,
    `git config gpg.program "sh -c '${mark('gpg')}'"`,
    'git config commit.gpgSign true',
    `printf '%s\\n' '[core]' "fsmonitor = sh -c '${mark('include')}'" > evil.cfg`,
    `git config include.path ${hostCheckout}/evil.cfg`,
    "printf '* filter=evil diff=evil\\n' > .gitattributes",
    "mkdir -p .git/info && printf '* filter=evil diff=evil\\n' > .git/info/attributes",
    'echo "more lowercase" >> data.txt',
    // A nested repository with its own traps.
    'git init -q nested && cd nested && git config core.fsmonitor "sh -c \'' + mark('nested-fsmonitor') + '\'"',
    `git config filter.evil.clean "sh -c '${mark('nested-filter')}'"`,
    "printf '* filter=evil\\n' > .gitattributes && echo inner > inner.txt",
    hook('.git/hooks', 'pre-commit').replace('hook-pre-commit', 'nested-hook'),
  ].join('\n');
}

/** A checkout whose sandbox planted every trap, with the sandbox already stopped. */
async function hostileCheckout(marksDir: string) {
  const checkout = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'be evil' });
  const sandbox = new DockerSandbox({ taskId: checkout.taskId, image: IMAGE, workspaceDir: checkout.dir, readOnlyMounts: checkout.readOnlyMounts, user: checkout.sandboxUser, limits: testLimits(), project });
  const planted = await sandbox.exec(trapsScript(checkout.dir, marksDir));
  expect(planted.stderr).toBe('');
  expect(planted.exitCode).toBe(0);
  await sandbox.stop();
  return checkout;
}

describe('host-side git after a hostile task', () => {
  it('control: the traps are armed, plain host git on the checkout runs them', async () => {
    const checkout = await hostileCheckout(controlMarks.dir);
    // The alternates file names the container path; give plain git the host one.
    writeFileSync(join(checkout.dir, '.git/objects/info/alternates'), `${join(checkout.mirrorDir, 'objects')}\n`);
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    const run = (...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', '-C', checkout.dir, ...args], { env, stdio: 'ignore' });
    // The process filter and gpg.program (traps too) make commands fail before the traps
    // shown here would run, so the control disarms those two.
    run('config', '--unset', 'filter.evil.process');
    run('config', 'commit.gpgSign', 'false');
    for (const args of [['status'], ['add', '-A', '--', '.', ':(exclude)nested'], ['commit', '-qm', 'plain']]) {
      try {
        run(...args);
      } catch {
        // a trap may also make the command fail; what matters is that it ran
      }
    }
    console.log('traps that plain git ran:', readdirSync(controlMarks.dir).join(', '));
    expect(readdirSync(controlMarks.dir)).toEqual(expect.arrayContaining(['filter-clean', 'include', 'hook-pre-commit']));
    await workspace.removeCheckout(checkout);
  });

  it('runs no hook, filter, driver or helper the checkout defines, and commits the raw work tree', async () => {
    const checkout = await hostileCheckout(marks.dir);

    const result = await workspace.finishCheckout(checkout, { message: 'hostile task' });

    expect(readdirSync(marks.dir)).toEqual([]);
    expect(result.committed).toBe(true);
    // No clean filter ran: the committed blob is the work tree's bytes.
    expect(git(checkout.mirrorDir, 'show', `${result.commitSha}:data.txt`)).toBe('lowercase text\nmore lowercase');
    expect(result.diff).toContain('+more lowercase');
    expect(result.stat.files.map((f) => f.path)).toEqual(expect.arrayContaining(['.gitattributes', 'data.txt', '.evil-hooks/pre-commit', 'evil.cfg']));
    expect(result.skippedNestedRepos).toEqual(['nested/']);
    expect(result.stat.files.some((f) => f.path.startsWith('nested'))).toBe(false);
    expect(existsSync(checkout.dir)).toBe(false);
    expect(readdirSync(marks.dir)).toEqual([]);
  });
});
