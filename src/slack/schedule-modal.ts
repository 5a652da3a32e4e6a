import { z } from 'zod';
import { PULL_REQUEST_CHOICE, SCHEDULE_FIELDS, type ScheduleFieldId } from '../blocks/index.js';
import type { AutomationField, AutomationRequest } from './schedule-automation.js';

/*
 * Reads the App Home's schedule modal (src/blocks/schedule-modal.ts) from a `view_submission`'s
 * `view.state.values`, through zod: Slack sends each input as `{ [block_id]: { [action_id]:
 * state } }`, an optional input left empty as `null` or without its value.
 */

const option = z.object({ value: z.string() }).nullish();
const state = z.record(
  z.string(),
  z.record(
    z.string(),
    z.looseObject({
      type: z.string(),
      value: z.string().nullish(),
      selected_option: option,
      selected_conversation: z.string().nullish(),
      selected_options: z.array(z.object({ value: z.string() })).nullish(),
    }),
  ),
);

const BLOCK_OF: Record<AutomationField, ScheduleFieldId> = {
  cron: SCHEDULE_FIELDS.cron,
  repo: SCHEDULE_FIELDS.repo,
  model: SCHEDULE_FIELDS.model,
  personality: SCHEDULE_FIELDS.personality,
  channel: SCHEDULE_FIELDS.channel,
  pullRequest: SCHEDULE_FIELDS.pullRequest,
};

/** `response_action: "errors"`'s map: the sentence under the input the refusal is about. */
export function submissionErrors(field: AutomationField | 'prompt', text: string): Record<string, string> {
  return { [field === 'prompt' ? SCHEDULE_FIELDS.prompt : BLOCK_OF[field]]: text };
}

export type ModalRead = { ok: true; request: Omit<AutomationRequest, 'user' | 'teamId'> } | { ok: false; errors: Record<string, string> };

/** The request the form holds, or the errors of inputs Slack let through empty (Slack checks required inputs itself; this does not trust it). */
export function readScheduleModal(values: unknown): ModalRead {
  const parsed = state.safeParse(values);
  if (!parsed.success) return { ok: false, errors: submissionErrors('cron', 'The form could not be read. Close it and open New automation again.') };
  const get = (id: ScheduleFieldId) => parsed.data[id]?.[id];
  const text = (id: ScheduleFieldId) => get(id)?.value?.trim() || undefined;
  const cron = text(SCHEDULE_FIELDS.cron);
  const prompt = text(SCHEDULE_FIELDS.prompt);
  const channel = get(SCHEDULE_FIELDS.channel)?.selected_conversation ?? undefined;
  const errors: Record<string, string> = {
    ...(cron ? {} : submissionErrors('cron', 'Give a cron line, like "0 9 * * 1-5" (9:00 on weekdays).')),
    ...(prompt ? {} : submissionErrors('prompt', 'Say what each run should do.')),
    ...(channel ? {} : submissionErrors('channel', 'Pick the channel where the runs should land.')),
  };
  if (!cron || !prompt || !channel) return { ok: false, errors };
  const selected = (id: ScheduleFieldId) => get(id)?.selected_option?.value ?? undefined;
  const pullRequest = (get(SCHEDULE_FIELDS.pullRequest)?.selected_options ?? []).some((o) => o.value === PULL_REQUEST_CHOICE);
  return {
    ok: true,
    request: {
      cron,
      prompt,
      channel,
      repo: selected(SCHEDULE_FIELDS.repo),
      model: selected(SCHEDULE_FIELDS.model),
      personality: selected(SCHEDULE_FIELDS.personality),
      ...(pullRequest ? { pullRequest: true } : {}),
    },
  };
}
