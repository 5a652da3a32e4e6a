/**
 * Splits Docker's multiplexed attach/exec stream (Tty off): frames of an 8-byte header
 * `[stream, 0, 0, 0, size32be]` followed by `size` bytes; stream 1 is stdout, 2 is stderr.
 * Frames may be split across chunks, so the parser keeps what it has not consumed yet.
 */
export class DockerDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onStdout: (chunk: Buffer) => void,
    private readonly onStderr: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const payload = buf.subarray(8, 8 + size);
      if (buf[0] === 2) this.onStderr(payload);
      else this.onStdout(payload);
      buf = buf.subarray(8 + size);
    }
    // Copy the remainder so a small leftover does not pin a large chunk.
    this.pending = Buffer.from(buf);
  }
}
