import { Jimp } from 'jimp';
import type { Attachments } from '../tasks/protocol.js';
import type { SlackDeps } from './slack-deps.js';

/*
 * The files of a message a person sent to a task (a reply, a mention), made ready for the
 * model: images downloaded with the bot token from `url_private` (only from Slack's own hosts),
 * at most MAX_IMAGES of them, each at most MAX_DOWNLOAD_BYTES, downscaled to fit
 * MAX_SIDE_PX and re-encoded as JPEG; every other file is only named. The result is stored in
 * Redis for a day (TaskStore.saveAttachments) and only its id travels (steer op, task record):
 * the worker never needs the Slack token, and no record or stream grows with the bytes.
 * Posted images are redacted by nobody: they go to the model and nowhere else.
 */

/** A file as Slack puts it on a message event (`files`). */
export interface SlackFile {
  id?: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
}

export const MAX_IMAGES = 4;
export const MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024;
export const MAX_SIDE_PX = 1568;
/** Formats the image library reads. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'image/tiff']);

/** Stores the files of a message for the task and returns their id; undefined when there are none. */
export async function storeAttachments(deps: SlackDeps, files: readonly SlackFile[] | undefined): Promise<string | undefined> {
  if (!files || files.length === 0) return undefined;
  const result: Attachments = { images: [], others: [] };
  for (const file of files) {
    const name = file.name ?? file.title ?? file.id ?? 'file';
    if (!file.mimetype || !IMAGE_TYPES.has(file.mimetype) || !file.url_private) result.others.push({ name, why: 'not_an_image' });
    else if (result.images.length >= MAX_IMAGES) result.others.push({ name, why: 'too_many' });
    else if ((file.size ?? 0) > MAX_DOWNLOAD_BYTES) result.others.push({ name, why: 'too_large' });
    else {
      const dataUrl = await downloadImage(deps, file.url_private).catch((e: unknown) => {
        deps.logger.warn({ err: e, file: file.id }, 'could not read an attached image');
        return undefined;
      });
      if (dataUrl) result.images.push({ name, dataUrl });
      else result.others.push({ name, why: 'unreadable' });
    }
  }
  return deps.store.saveAttachments(result);
}

async function downloadImage(deps: SlackDeps, url: string): Promise<string | undefined> {
  if (!isSlackFileUrl(url, deps.config.env.SLACK_API_URL)) throw new Error('not a Slack file URL');
  const res = await fetch(url, { headers: { authorization: `Bearer ${deps.poster.client.token ?? ''}` }, redirect: 'error', signal: AbortSignal.timeout(15_000) });
  if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('image/')) throw new Error(`download answered ${res.status} ${res.headers.get('content-type')}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > MAX_DOWNLOAD_BYTES) return undefined;
  const image = await Jimp.read(bytes);
  if (image.width > MAX_SIDE_PX || image.height > MAX_SIDE_PX) image.scaleToFit({ w: MAX_SIDE_PX, h: MAX_SIDE_PX });
  const jpeg = await image.getBuffer('image/jpeg', { quality: 85 });
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** The bot token goes only to Slack: files.slack.com, or the host of SLACK_API_URL (tests, proxies). */
function isSlackFileUrl(url: string, apiUrl: string | undefined): boolean {
  let host: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && !(apiUrl && u.origin === new URL(apiUrl).origin)) return false;
    host = u.host;
  } catch {
    return false;
  }
  return host === 'files.slack.com' || (apiUrl !== undefined && host === new URL(apiUrl).host);
}

/** The files of a thread's first message (a mention in a thread starts from it). */
export async function threadRootFiles(deps: SlackDeps, channel: string, threadTs: string): Promise<SlackFile[]> {
  const result = await deps.poster.client.conversations.replies({ channel, ts: threadTs, limit: 1 });
  const root = (result.messages ?? []).find((m) => m.ts === threadTs);
  return (root?.files ?? []) as SlackFile[];
}
