import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/slack/parse-command.js';

describe('parseCommand', () => {
  it('parses task with flags in any order and keeps the prompt verbatim', () => {
    expect(parseCommand('task add retries to the billing client')).toEqual({ kind: 'task', prompt: 'add retries to the billing client' });
    expect(parseCommand('task --repo billing --branch release/1.2 fix   the  bug')).toEqual({ kind: 'task', repo: 'billing', branch: 'release/1.2', prompt: 'fix   the  bug' });
    expect(parseCommand('TASK --branch=dev --repo=web make it --fast')).toEqual({ kind: 'task', repo: 'web', branch: 'dev', prompt: 'make it --fast' });
    expect(parseCommand('task fix\nmultiline\nprompt')).toEqual({ kind: 'task', prompt: 'fix\nmultiline\nprompt' });
  });

  it('parses --model and --personality on task and plan', () => {
    expect(parseCommand('task --model gpt-5 --personality=friendly fix it')).toEqual({ kind: 'task', model: 'gpt-5', personality: 'friendly', prompt: 'fix it' });
    expect(parseCommand('plan --personality pragmatic --repo web go')).toEqual({ kind: 'task', mode: 'plan', personality: 'pragmatic', repo: 'web', prompt: 'go' });
    expect(parseCommand('task --model')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('`--model` needs a value') });
  });

  it('parses list, log and defaults', () => {
    expect(parseCommand('list')).toEqual({ kind: 'list' });
    expect(parseCommand('list all')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('log k3x9q2m1')).toEqual({ kind: 'log', taskId: 'k3x9q2m1' });
    expect(parseCommand('log')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('needs one task id') });
    expect(parseCommand('defaults')).toEqual({ kind: 'defaults', set: {} });
    expect(parseCommand('defaults reset')).toEqual({ kind: 'defaults', set: {}, reset: true });
    expect(parseCommand('defaults --repo web --model=gpt-5 --personality friendly')).toEqual({ kind: 'defaults', set: { repo: 'web', model: 'gpt-5', personality: 'friendly' } });
    expect(parseCommand('defaults --branch main')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('defaults --repo web extra words')).toMatchObject({ kind: 'invalid' });
  });

  it('parses plan like task, marked as planning', () => {
    expect(parseCommand('plan --repo web migrate the date library')).toEqual({ kind: 'task', mode: 'plan', repo: 'web', prompt: 'migrate the date library' });
    expect(parseCommand('plan')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('/codex plan') });
  });

  it('explains what is wrong with a malformed task', () => {
    expect(parseCommand('task')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('Say what the task is') });
    expect(parseCommand('task --repo')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('`--repo` needs a value') });
    expect(parseCommand('task --repo --branch x y')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('task --repo a --repo b go')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('twice') });
    expect(parseCommand('task --branch ../../etc go')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('not a valid branch') });
    expect(parseCommand('task --repo billing')).toMatchObject({ kind: 'invalid' });
  });

  it('parses help, status and cancel, and rejects unknown verbs with a hint', () => {
    expect(parseCommand('')).toEqual({ kind: 'help' });
    expect(parseCommand('help')).toEqual({ kind: 'help' });
    expect(parseCommand('status')).toEqual({ kind: 'status' });
    expect(parseCommand('status k3x9q2m1')).toEqual({ kind: 'status', taskId: 'k3x9q2m1' });
    expect(parseCommand('status nope')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('cancel k3x9q2m1')).toEqual({ kind: 'cancel', taskId: 'k3x9q2m1' });
    expect(parseCommand('cancel')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('needs one task id') });
    expect(parseCommand('fix the tests')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('/codex task fix the tests') });
  });
});

describe('--pr', () => {
  it('asks for a pull request at the end of a task, with the other flags in any order', () => {
    expect(parseCommand('task --pr --repo billing fix it')).toEqual({ kind: 'task', prompt: 'fix it', repo: 'billing', pullRequest: true });
    expect(parseCommand('task --repo billing --pr fix it')).toEqual({ kind: 'task', prompt: 'fix it', repo: 'billing', pullRequest: true });
    expect(parseCommand('task fix --pr later')).toEqual({ kind: 'task', prompt: 'fix --pr later' });
  });
});

describe('review', () => {
  it('takes a branch, a pull request number or URL, and --repo', () => {
    expect(parseCommand('review feature/retries')).toEqual({ kind: 'review', branch: 'feature/retries' });
    expect(parseCommand('review --repo billing #42')).toEqual({ kind: 'review', repo: 'billing', pullRequest: 42 });
    expect(parseCommand('review https://github.com/acme/billing/pull/7/files')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('review https://github.com/acme/billing/pull/7')).toEqual({ kind: 'review', pullRequest: 7, owner: 'acme', name: 'billing' });
    expect(parseCommand('review')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('Say what to review') });
    expect(parseCommand('review a b')).toMatchObject({ kind: 'invalid' });
  });
});

describe('schedule', () => {
  it('takes the cron line in quotes, then --repo, --model, --personality and --pr before the prompt', () => {
    expect(parseCommand('schedule "0 9 * * 1-5" --repo calc --model m1 --personality pirate --pr triage the issues')).toEqual({ kind: 'schedule', cron: '0 9 * * 1-5', prompt: 'triage the issues', repo: 'calc', model: 'm1', personality: 'pirate', pullRequest: true });
    expect(parseCommand('schedule \u201c0 9 * * *\u201d triage')).toEqual({ kind: 'schedule', cron: '0 9 * * *', prompt: 'triage' });
    expect(parseCommand('schedule 0 9 * * * triage')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('in quotes') });
    expect(parseCommand('schedule "0 9 * * *" --pr')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('after `schedule`') });
  });
});
