import { redactDeep } from '../util/redact.js';

/** A slash command's acknowledgement: empty, or an answer shown to the person who typed it. */
export type Ack = (response?: { response_type?: 'ephemeral' | 'in_channel'; text: string; blocks?: unknown[] }) => Promise<void>;

/** Every answer passes secret redaction, like everything else the bot posts. */
export function redactingAck(ack: Ack): Ack {
  return (response) => ack(response && redactDeep(response));
}
