/**
 * Collects one output stream of a command without ever holding more than `capBytes` of it:
 * the first half is kept as the head, the last half as a rolling tail, and whatever fell out
 * of the middle is only counted. A command that prints 50 MB therefore costs 64 KiB of memory,
 * and the model still sees how the output began and how it ended.
 */
export class CappedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;
  /** The byte just before the tail's first byte (0x0a: the tail starts a line). */
  private beforeTail: number | undefined;

  constructor(readonly capBytes: number) {
    this.headLimit = Math.floor(capBytes / 2);
    this.tailLimit = capBytes - this.headLimit;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    // Copy: the caller's buffer may be reused, and a tail slice must not pin a huge chunk.
    const from = Math.max(0, rest.length - this.tailLimit);
    if (from > 0) this.beforeTail = rest[from - 1];
    this.tail.push(Buffer.from(rest.subarray(from)));
    this.tailBytes += Math.min(rest.length, this.tailLimit);
    while (this.tailBytes > this.tailLimit) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - this.tailLimit;
      if (first.length <= excess) {
        this.beforeTail = first[first.length - 1];
        this.tail.shift();
        this.tailBytes -= first.length;
      } else {
        this.beforeTail = first[excess - 1];
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }

  /** Bytes received in total, kept or not. */
  get totalBytes(): number {
    return this.total;
  }

  /** Bytes dropped from the middle. */
  get cutBytes(): number {
    return this.total - this.headBytes - this.tailBytes;
  }

  get truncated(): boolean {
    return this.cutBytes > 0;
  }

  /** The kept text; when bytes were cut, a marker between head and tail says how many. */
  text(): string {
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    // Cut at line ends: a line cut in two is dropped whole rather than shown in part, so no
    // fragment of a secret (a key line, a token after `password=`) is left at the cut where
    // the redaction could no longer recognise it. A line longer than LINE_SNAP keeps the byte cut.
    const headEnd = lineEnd(head) ?? utf8Boundary(head, head.length);
    const tailStart = this.beforeTail === 0x0a ? 0 : (lineStart(tail) ?? utf8Start(tail));
    const cut = this.cutBytes + (head.length - headEnd) + tailStart;
    const marker = `${headEnd > 0 && head[headEnd - 1] === 0x0a ? '' : '\n'}[… output truncated: ${cut} bytes (${formatBytes(cut)}) cut from the middle of ${this.total} bytes …]\n`;
    return head.subarray(0, headEnd).toString('utf8') + marker + tail.subarray(tailStart).toString('utf8');
  }

  /** The full bytes; only meaningful while nothing was cut (file reads check `truncated`). */
  bytes(): Buffer {
    return Buffer.concat([...this.head, ...this.tail]);
  }
}

/** How far back (or forward) a cut looks for a line end to snap to. */
const LINE_SNAP = 4096;

/** Index just after the last newline of `buf` within its last LINE_SNAP bytes (0 when it is the first byte). */
function lineEnd(buf: Buffer): number | undefined {
  if (buf.length > 0 && buf[buf.length - 1] === 0x0a) return buf.length;
  const nl = buf.lastIndexOf(0x0a);
  return nl >= 0 && buf.length - nl - 1 <= LINE_SNAP ? nl + 1 : undefined;
}

/** Index just after the first newline of `buf` within its first LINE_SNAP bytes. */
function lineStart(buf: Buffer): number | undefined {
  const nl = buf.indexOf(0x0a);
  return nl >= 0 && nl < LINE_SNAP ? nl + 1 : undefined;
}

/** Largest index <= end that does not split a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, end: number): number {
  let i = end;
  let back = 0;
  while (i > 0 && back < 3 && (buf[i - 1]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return end;
  const lead = buf[i - 1]!;
  if (lead < 0xc0) return back === 0 ? end : i;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return need === back + 1 ? end : i - 1;
}

/** First index that starts a UTF-8 sequence (skips continuation bytes left by the cut). */
function utf8Start(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && i < 3 && (buf[i]! & 0xc0) === 0x80) i++;
  return i;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
