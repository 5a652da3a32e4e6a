import type { FakeModal } from '../fakes/slack-server.js';
import { homeActionPayload, modalState, readSubmissionAnswer, viewSubmissionPayload, type ModalAnswers, type SubmissionAnswer } from '../fakes/slack-views.js';
import type { E2E } from './e2e.js';

/*
 * A person on their App Home, as Slack delivers it: opening the tab, clicking a button or
 * picking from a menu there (block_actions with a trigger_id the fake Slack issued), and
 * submitting a modal (view_submission), the app's answer checked the way Slack checks it.
 */

type Block = { type: string; block_id?: string; elements?: Array<Record<string, unknown>> };

export function homeBlocks(e: E2E, user: string): Block[] {
  return ((e.fake.homeView(user) as { blocks?: Block[] } | undefined)?.blocks ?? []) as Block[];
}

/** Opens the Home tab and waits until the app has published it. */
export async function openHome(e: E2E, user: string): Promise<void> {
  const before = e.fake.callsTo('views.publish').length;
  await e.sender.event({ type: 'app_home_opened', user, channel: 'D0FAKEDM01', tab: 'home' });
  await e.fake.waitFor(() => e.fake.callsTo('views.publish').slice(before).some((c) => c.args.user_id === user && c.response.ok), 15_000);
}

/** Clicks a button, or picks `selected` from a menu, on the person's Home tab. */
export async function clickHome(e: E2E, user: string, blockId: string, actionId: string, selected?: string): Promise<void> {
  const home = e.fake.homeTab(user);
  if (!home) throw new Error(`${user} has no Home tab published`);
  const res = await e.sender.interaction(homeActionPayload({ userId: user, home, blockId, actionId, ...(selected !== undefined ? { selected } : {}), triggerId: e.fake.issueTrigger(user) }));
  if (res.status !== 200) throw new Error(`block_actions answered HTTP ${res.status}`);
}

/** Clicks "New automation" and returns the modal Slack opened. */
export async function openScheduleModal(e: E2E, user: string): Promise<FakeModal> {
  const before = e.fake.modals(user).length;
  await clickHome(e, user, 'home_automation_new', 'codex_home_new_automation');
  return e.fake.waitFor(() => e.fake.modals(user)[before], 10_000);
}

/**
 * Submits the modal filled in with `answers` (what the person could enter), or with raw
 * `state.values` (what a changed config or a tampered client might send).
 */
export async function submitModal(e: E2E, modal: FakeModal, answers: ModalAnswers | { values: Record<string, Record<string, Record<string, unknown>>> }): Promise<SubmissionAnswer> {
  const values = 'values' in answers && typeof answers.values === 'object' ? (answers.values as Record<string, Record<string, Record<string, unknown>>>) : modalState(modal.view, answers as ModalAnswers);
  const res = await e.sender.interaction(viewSubmissionPayload(modal, values));
  return readSubmissionAnswer(modal, res);
}
