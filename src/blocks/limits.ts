/*
 * Slack's limits for messages and Block Kit, and the helpers that keep text inside them.
 *
 * Builders never fail on oversized input: they cut, and the cut says what was left out
 * ("… 12 more lines", "… 3,400 more characters"). The fake Slack server in tests/fakes checks
 * the same numbers with its own, independent validator; the two must agree on these constants.
 *
 * Lengths are JavaScript string lengths (UTF-16 code units). Slack counts characters, and a
 * code-unit count is never below a character count, so staying under it is always safe.
 */

/** Documented Block Kit and message limits (docs.slack.dev/reference/block-kit). */
export const SLACK_LIMITS = {
  /** Blocks in one message (`chat.postMessage`, `chat.update`, `chat.postEphemeral`). */
  messageBlocks: 50,
  /** Blocks in a Home tab or modal view. */
  viewBlocks: 100,
  /** Top-level `text` of a message; longer is `msg_too_long`. */
  messageText: 40_000,
  sectionText: 3_000,
  sectionFields: 10,
  sectionFieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  /** A context element's text shares the section text limit. */
  contextText: 3_000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  buttonUrl: 3_000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** A modal's title, submit and close texts (plain_text). */
  viewTitle: 24,
  viewButton: 24,
  callbackId: 255,
  privateMetadata: 3_000,
  /** An input block's label and hint. */
  inputLabel: 2_000,
  inputHint: 2_000,
  placeholder: 150,
  /** Options of a static select (an option's text and value), and of checkboxes. */
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  checkboxOptions: 10,
  /** plain_text_input's max_length. */
  plainTextInput: 3_000,
} as const;

/**
 * Slack also rejects a message whose blocks hold too much text in total
 * (`msg_blocks_too_long`). The limit is undocumented; maintainers put it near 12,000
 * characters of text "with a buffer for block containers" (slackapi/bolt-js#2509, #2867), and
 * reports show rejections a little below that. The fake server enforces
 * `BLOCKS_TEXT_HARD_LIMIT`; builders stay under the smaller `BLOCKS_TEXT_BUDGET`.
 */
export const BLOCKS_TEXT_HARD_LIMIT = 12_000;
export const BLOCKS_TEXT_BUDGET = 8_000;

/** The fallback `text` builders produce: a notification line, not a copy of the blocks. */
export const FALLBACK_TEXT_MAX = 300;

const numberFormat = new Intl.NumberFormat('en-US');

/** `3400` → `3,400`. */
export function formatCount(n: number): string {
  return numberFormat.format(n);
}

/** `1, 'line'` → `1 line`; `12, 'line'` → `12 lines`. */
export function plural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${formatCount(n)} ${n === 1 ? noun : pluralNoun}`;
}

/**
 * Escapes user content for mrkdwn: `&`, `<` and `>` are the only characters Slack parses as
 * control sequences, so escaping them is what stops a prompt from writing `<!channel>`,
 * `<@U…>` mentions or `<https://evil|innocent>` links.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapedLength(ch: string): number {
  return ch === '&' ? 5 : ch === '<' || ch === '>' ? 4 : ch.length;
}

/** Never leaves half of a surrogate pair at the end of a cut. */
function safeCut(text: string, end: number): string {
  if (end <= 0) return '';
  if (end >= text.length) return text;
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? text.slice(0, end - 1) : text.slice(0, end);
}

/** Never starts a kept tail with the second half of a surrogate pair. */
function safeTail(text: string, start: number): string {
  if (start <= 0) return text;
  const code = text.charCodeAt(start);
  return code >= 0xdc00 && code <= 0xdfff ? text.slice(start + 1) : text.slice(start);
}

export interface TruncateOptions {
  /** Escape `&`, `<`, `>` for mrkdwn; the limit then applies to the escaped text. */
  escape?: boolean;
  /** Keep at most this many lines. */
  maxLines?: number;
}

function moreCharacters(n: number): string {
  return `… ${plural(n, 'more character')}`;
}

/**
 * Cuts `text` so that the result (escaped when asked, suffix included) fits in `max`
 * characters. Whole lines are dropped from the end first ("… 12 more lines"); when that would
 * keep less than half of the budget (one huge line), the text is cut inside a line instead
 * ("… 3,400 more characters"). Text that fits is returned unchanged (escaped when asked).
 */
export function truncateText(text: string, max: number, options: TruncateOptions = {}): string {
  const enc = options.escape ? escapeMrkdwn : (s: string) => s;
  const lines = text.split('\n');
  const maxLines = Math.max(1, options.maxLines ?? Number.MAX_SAFE_INTEGER);
  if (lines.length <= maxLines) {
    const whole = enc(text);
    if (whole.length <= max) return whole;
  }
  const moreLines = (n: number) => `\n… ${plural(n, 'more line')}`;
  let used = 0;
  let kept = 0;
  for (const line of lines.slice(0, maxLines)) {
    const cost = enc(line).length + (kept > 0 ? 1 : 0);
    if (used + cost + moreLines(lines.length - kept - 1).length > max) break;
    used += cost;
    kept += 1;
  }
  const byLines = kept > 0 && kept < lines.length && (used >= max / 2 || lines.length > maxLines);
  if (byLines) return enc(lines.slice(0, kept).join('\n')) + moreLines(lines.length - kept);
  return cutChars(text, max, options.escape ?? false);
}

function cutChars(text: string, max: number, escape: boolean): string {
  // The suffix's length depends on the count left out, which depends on the cut.
  let suffixLength = ` ${moreCharacters(text.length)}`.length;
  let out = '';
  for (let round = 0; round < 3; round++) {
    const budget = Math.max(0, max - suffixLength);
    let end = 0;
    let used = 0;
    while (end < text.length) {
      const cost = escape ? escapedLength(text[end] ?? '') : 1;
      if (used + cost > budget) break;
      used += cost;
      end += 1;
    }
    const head = safeCut(text, end);
    const suffix = ` ${moreCharacters(text.length - head.length)}`;
    out = `${(escape ? escapeMrkdwn(head) : head).trimEnd()}${suffix}`;
    if (suffix.length <= suffixLength) break;
    suffixLength = suffix.length;
  }
  return out.length <= max ? out : out.slice(0, max);
}

/**
 * Keeps the end of `text` (the last lines of command output are the useful ones):
 * "… 1,950 earlier lines" first, then at most `maxLines` lines and `max` characters.
 * No escaping: meant for code blocks, where `codeBlock` makes the content safe.
 */
export function tailText(text: string, max: number, maxLines: number): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  const header = (dropped: number) => (dropped > 0 ? `… ${plural(dropped, 'earlier line')}\n` : '');
  let kept = 0;
  let used = 0;
  for (let i = lines.length - 1; i >= 0 && kept < maxLines; i--) {
    const cost = (lines[i] ?? '').length + (kept > 0 ? 1 : 0);
    if (used + cost + header(i).length > max) break;
    used += cost;
    kept += 1;
  }
  if (kept > 0) return header(lines.length - kept) + lines.slice(lines.length - kept).join('\n');
  // The last line alone is too long: keep its end.
  const last = lines[lines.length - 1] ?? '';
  const head = header(lines.length - 1);
  const keep = Math.max(0, max - head.length - 32);
  const cut = last.length - keep;
  return `${head}… ${plural(cut, 'earlier character')} ${safeTail(last, cut)}`;
}

/**
 * A fenced mrkdwn code block. The content is escaped, and any ``` inside it is broken with
 * zero-width spaces so that it cannot close the fence early and turn the rest into markup.
 * `max` bounds the whole block, fences included.
 */
export function codeBlock(content: string, max: number, options: { maxLines?: number; keep?: 'head' | 'tail' } = {}): string {
  const inner = Math.max(20, max - 8);
  const defused = content.replace(/```/g, '`\u200b`\u200b`');
  const maxLines = options.maxLines ?? Number.MAX_SAFE_INTEGER;
  let body: string;
  if (options.keep === 'tail') {
    // Escaping can lengthen the tail; shrink the raw budget by the overshoot until it fits.
    let budget = inner;
    body = escapeMrkdwn(tailText(defused, budget, maxLines));
    while (body.length > inner && budget > 20) {
      budget = Math.max(20, budget - (body.length - inner));
      body = escapeMrkdwn(tailText(defused, budget, maxLines));
    }
    if (body.length > inner) body = body.slice(body.length - inner).replace(/^[a-z]{0,3};/, '');
  } else {
    body = truncateText(defused, inner, { escape: true, maxLines });
  }
  return `\`\`\`\n${body.trim() === '' ? ' ' : body}\n\`\`\``;
}

/**
 * Inline code for one short value (a command, a path, a branch): one line, backticks replaced
 * (they would end the span), escaped, cut to `max` characters of content.
 */
export function inlineCode(text: string, max = 80): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ⏎ ').replace(/`/g, 'ˋ').trim();
  const cut = oneLine.length > max ? `${safeCut(oneLine, max - 1)}…` : oneLine;
  return `\`${escapeMrkdwn(cut) || ' '}\``;
}

/** Cuts a plain_text string (no escaping applies) to `max`, ending with `…`. */
export function clampPlain(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${safeCut(oneLine, max - 1)}…` : oneLine;
}

/** One line of user text for a fallback or a label: whitespace collapsed, cut with `…`, escaped. */
export function snippet(text: string, max: number): string {
  return escapeMrkdwn(clampPlain(text, max));
}

/** Keeps the end of a path, which is the informative part: `…/deep/dir/file.ts`. */
export function clampPath(path: string, max: number): string {
  if (path.length <= max) return path;
  return `…${safeTail(path, path.length - (max - 1))}`;
}
