import { Jimp } from 'jimp';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply, type RecordedRequest } from '../fakes/model-server.js';
import { appMentionEvent, messageEvent } from '../fakes/slack-signing.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { reactions, replyInThread, startTask, userText, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Images people post reach the model: an image attached to a thread reply is downloaded with
 * the bot token from its url_private, downscaled, and sent in the next model request as an
 * input_image part; a file that is not an image is only named.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner, botUser } = FAKE_IDS;

const pngOf = (width: number, height: number) => new Jimp({ width, height, color: 0xcc3366ff }).getBuffer('image/png');

/** The input_image parts of a request's user messages. */
function imagesIn(req: RecordedRequest): string[] {
  const input = Array.isArray(req.body?.input) ? (req.body.input as Array<{ role?: string; content?: unknown }>) : [];
  return input.flatMap((i) => (i.role === 'user' && Array.isArray(i.content) ? (i.content as Array<{ type: string; image_url?: string }>) : [])).filter((p) => p.type === 'input_image').map((p) => p.image_url ?? '');
}

describe('images in the thread', () => {
  it('sends an image of a reply to the model as an input_image (downscaled) and names a non-image', { timeout: 60_000 }, async () => {
    e = await startE2E({
      script: [
        reply(functionCall('shell', { command: 'sleep 3 && echo slept' })),
        (req) => {
          if (!lastToolOutput(req).includes('slept')) throw new Error('the command did not finish before the next request');
          return reply(message('I looked at the screenshot.'));
        },
      ],
    });
    const { taskId, card } = await startTask(e, 'fix the layout bug');
    await waitEvent(e, taskId, 'command_started');

    const big = new Jimp({ width: 3000, height: 1500, color: 0x3366ccff });
    const png = await big.getBuffer('image/png');
    const shot = e.fake.addFile({ name: 'screenshot.png', mimetype: 'image/png', bytes: png });
    const pdf = e.fake.addFile({ name: 'spec.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF-1.4') });
    const r = await replyInThread(e, card.ts, owner, 'the button overlaps, see the screenshot', { files: [shot, pdf] });
    await e.fake.waitFor(() => reactions(e!, channel, r.ts).includes('white_check_mark'), 20_000);
    await waitStatus(e, taskId, 'done', 30_000);

    const next = e.model.requests[1]!;
    const images = imagesIn(next);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatch(/^data:image\/jpeg;base64,/);
    const seen = await Jimp.read(Buffer.from(images[0]!.split(',')[1]!, 'base64'));
    expect([seen.width, seen.height]).toEqual([1568, 784]);
    expect(imagesIn(e.model.requests[0]!)).toEqual([]);
    const said = userText(next);
    expect(said).toContain('the button overlaps, see the screenshot');
    expect(said).toContain('screenshot.png');
    expect(said).toContain('spec.pdf (not an image)');
    // Only the image was downloaded, with the bot token; the PDF was never fetched.
    expect(e.fake.callsTo('files-pri').map((c) => [c.args.file, c.status])).toEqual([[shot.id, 200]]);
  });

  it('sends the images of the thread a mention starts a task from, and of a reply that starts a follow-up turn', { timeout: 90_000 }, async () => {
    e = await startE2E({
      script: [
        (req) => reply(message(`first turn saw ${imagesIn(req).length} image(s)`)),
        (req) => reply(message(`second turn saw ${imagesIn(req).length} image(s)`)),
      ],
    });
    // A bug report with a screenshot at the top of a thread; a mention in the thread with a log file.
    const shot = e.fake.addFile({ name: 'broken.png', mimetype: 'image/png', bytes: await pngOf(40, 30) });
    const root = e.fake.injectMessage({ channel, user: owner, text: 'the chart is broken', files: [shot] });
    const log = e.fake.addFile({ name: 'console.log', mimetype: 'text/plain', bytes: Buffer.from('TypeError') });
    const m = e.fake.injectMessage({ channel, user: owner, text: `<@${botUser}> fix this chart`, thread_ts: root.ts, files: [log] });
    await Promise.all([e.sender.event(appMentionEvent(m)), e.sender.event(messageEvent(m))]);
    const card = await e.fake.waitFor(() => e!.fake.thread(channel, root.ts).find((x) => x.metadata?.event_type === 'codex_task_status'), 10_000);
    const taskId = card.metadata!.event_payload.task_id as string;
    await waitStatus(e, taskId, 'done', 30_000);
    const first = e.model.requests[0]!;
    expect(imagesIn(first)).toHaveLength(1);
    expect(userText(first)).toContain('broken.png');
    expect(userText(first)).toContain('console.log (not an image)');
    // The task record carries an id, never the bytes.
    expect(JSON.stringify(await e.store.getTask(taskId))).not.toContain('base64');

    // After the end, a reply with an image starts turn 2, whose first request carries it.
    const second = e.fake.addFile({ name: 'after.jpg', mimetype: 'image/jpeg', bytes: await new Jimp({ width: 20, height: 20, color: 0x00ff00ff }).getBuffer('image/jpeg') });
    await replyInThread(e, root.ts, owner, 'still broken, look', { files: [second] });
    await waitEvent(e, taskId, 'turn_queued');
    await e.fake.waitFor(() => e!.model.requests[1], 30_000);
    expect(imagesIn(e.model.requests[1]!)).toHaveLength(2);
    expect(userText(e.model.requests[1]!)).toContain('after.jpg');
  });
});
