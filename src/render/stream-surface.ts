import { renderCommandLog } from '../blocks/index.js';
import type { Logger } from '../logger.js';
import type { SlackPoster, StreamChunk } from '../slack-client/slack-poster.js';
import type { TaskEvent } from '../tasks/protocol.js';
import { redactDeep } from '../util/redact.js';
import type { ThreadOutput } from './task-view.js';

/** Slack's limits on streamed content. */
const MARKDOWN_MAX = 12_000;
const FIELD_MAX = 256;

const DEAD = 'message_not_in_streaming_state';

function slackError(e: unknown): string | undefined {
  return (e as { data?: { error?: string } }).data?.error;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const head = (s: string) => (s.length > FIELD_MAX ? `${s.slice(0, FIELD_MAX - 1)}…` : s);
const tail = (s: string) => (s.length > FIELD_MAX ? `…${s.slice(-(FIELD_MAX - 1))}` : s);

const PLAN_STATUS = { pending: 'pending', in_progress: 'in_progress', completed: 'complete' } as const;

/** The chunks one live event streams as (none for events that only the card and thread show). */
export function streamChunks(raw: TaskEvent): StreamChunk[] {
  // Redacted whole before anything is cut to Slack's sizes.
  const event = redactDeep(raw);
  switch (event.type) {
    case 'command_started':
      return [{ type: 'task_update', id: event.callId, title: head(oneLine(event.command)) || 'command', status: 'in_progress' }];
    case 'command_finished': {
      const ok = event.exitCode === 0 && !event.timedOut;
      const details = `exit ${event.exitCode}${event.timedOut ? ', timed out' : ''} · ${(event.durationMs / 1000).toFixed(1)} s`;
      const output = event.outputTail.trim();
      return [{ type: 'task_update', id: event.callId, title: head(oneLine(event.command)) || 'command', status: ok ? 'complete' : 'error', details, ...(output ? { output: tail(output) } : {}) }];
    }
    case 'web_search':
      return [{ type: 'task_update', id: event.callId, title: head(oneLine(`web ${event.action.replace('_', ' ')}: ${event.detail}`)), status: event.ok ? 'complete' : 'error' }];
    case 'plan_updated':
      return [
        { type: 'plan_update', title: head(oneLine(event.explanation ?? '')) || 'Plan' },
        ...event.steps.map((s, i): StreamChunk => ({ type: 'task_update', id: `plan-${event.seq}-${i}`, title: head(oneLine(s.step)), status: PLAN_STATUS[s.status] })),
      ];
    default:
      return [];
  }
}

/** A narration as markdown chunks of at most Slack's 12,000 characters, apart from what came before. */
export function narrationChunks(text: string, first: boolean): StreamChunk[] {
  const full = `${first ? '' : '\n\n'}${text.trim()}`;
  const out: StreamChunk[] = [];
  for (let i = 0; i < full.length; i += MARKDOWN_MAX) out.push({ type: 'markdown_text', text: full.slice(i, i + MARKDOWN_MAX) });
  return out;
}

interface Where {
  channel: string;
  threadTs: string;
}

type DisplayMode = 'timeline' | 'plan';

/** A plan streams in Slack's plan display (`task_display_mode: plan`); everything else as a timeline. */
export function displayModeOf(chunks: StreamChunk[]): DisplayMode {
  return chunks.some((c) => c.type === 'plan_update') ? 'plan' : 'timeline';
}

/**
 * Slack's streamed narration of one task's thread, another reader of the task's events beside
 * SessionSurface, fed by the same TaskRenderer. While a turn works, its narration (markdown),
 * commands and web searches (`task_update`: in_progress, then complete or error with the exit
 * code and an output tail) and plan (`plan_update` and steps) stream into messages
 * (chat.startStream / appendStream / stopStream): the plan into a stream in Slack's plan display
 * (`task_display_mode: plan`), the rest into a timeline stream, a new one whenever the display
 * changes; every ordinary post ends the stream first, so the thread keeps the events' order,
 * and the next streamed chunk starts a new one.
 *
 * A stream is stopped and replaced before it is `slack.streamMaxSeconds` old; one Slack ended
 * anyway (`message_not_in_streaming_state`: expired, or a person stopped it) is replaced, never
 * appended to again. Any other failure (a workspace without streaming, a missing scope) turns
 * streaming off for this task: what the stream did not carry goes out as the ordinary thread
 * messages (TaskView's outputs), nothing lost, nothing posted twice.
 */
export class StreamSurface {
  private stream?: { ts: string; startedAt: number; empty: boolean; mode: DisplayMode };
  private off: boolean;
  /** Events the stream carried: their ordinary messages are not posted. */
  private readonly carried = new Set<number>();

  constructor(
    private readonly taskId: string,
    private readonly poster: SlackPoster,
    private readonly logger: Logger,
    /** True once a person stopped the streamed message (Slack's Stop: MessageRefs.streamStopped). */
    private readonly stoppedByPerson: (channel: string, ts: string) => Promise<boolean> = async () => false,
    private readonly now: () => number = Date.now,
  ) {
    this.off = poster.settings.streaming === 'off';
  }

  /** A live event of a working turn: its chunks go into the stream. */
  async event(where: Where, owner: string, event: TaskEvent): Promise<void> {
    const chunks = streamChunks(event);
    if (chunks.length === 0 || this.off) return;
    if (await this.send(where, owner, chunks)) this.carried.add(event.seq);
  }

  /**
   * A thread output about to be posted: returns what must still be posted. Narration goes into
   * the stream; a command log shrinks to the entries the stream did not carry; anything else
   * ends the stream first (edits and reactions leave it be).
   */
  async output(where: Where, owner: string, output: ThreadOutput): Promise<ThreadOutput | undefined> {
    if (output.type === 'settle' || output.type === 'react') return output;
    if (output.type === 'post' && output.kind === 'commands' && output.commands) {
      const left = output.commands.filter((c) => !this.carried.has(c.seq));
      if (left.length === 0) return undefined;
      if (left.length < output.commands.length) output = { ...output, commands: left, message: renderCommandLog({ commands: left }) };
    } else if (output.type === 'post' && output.kind === 'narration' && output.text !== undefined && !this.off) {
      if (await this.send(where, owner, narrationChunks(output.text, this.stream?.empty ?? true))) return undefined;
    }
    await this.end(where);
    return output;
  }

  /** Ends the stream in hand (the turn waits or has ended, or the renderer stops). */
  async end(where: Where): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream || (await this.stoppedByPerson(where.channel, stream.ts).catch(() => false))) return;
    await this.poster.stopStream(where.channel, stream.ts).catch((e: unknown) => {
      // Ended already (expired, or stopped by a person): nothing is lost.
      if (slackError(e) !== DEAD) this.logger.info({ err: e, taskId: this.taskId }, 'could not stop a streamed message');
    });
  }

  /** Sends chunks into the stream (rotating it when due); false when they must go out as messages. */
  private async send(where: Where, owner: string, chunks: StreamChunk[]): Promise<boolean> {
    const maxMs = this.poster.settings.streamMaxSeconds * 1000;
    const mode = displayModeOf(chunks);
    if (this.stream && (await this.stoppedByPerson(where.channel, this.stream.ts).catch(() => false))) this.stream = undefined;
    if (this.stream && (this.now() - this.stream.startedAt >= maxMs || this.stream.mode !== mode)) await this.end(where);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (!this.stream) {
          const startedAt = this.now();
          this.stream = { ts: await this.poster.startStream(where.channel, where.threadTs, owner, chunks, mode), startedAt, empty: false, mode };
        } else {
          await this.poster.appendStream(where.channel, this.stream.ts, chunks);
          this.stream.empty = false;
        }
        return true;
      } catch (e) {
        if (slackError(e) === DEAD && this.stream && attempt === 0) {
          // Slack ended it (a person stopped it, or it expired): a new stream carries on.
          this.stream = undefined;
          continue;
        }
        this.off = true;
        this.stream = undefined;
        this.logger.info({ err: e, taskId: this.taskId }, 'streaming is not available here; the thread carries on with ordinary messages');
        return false;
      }
    }
    return false;
  }
}
