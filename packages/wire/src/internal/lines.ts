/** Splits a byte stream into LF-terminated lines (a trailing CR is dropped), keeping at most `maxLine` bytes of one line. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(
    private readonly maxLine: number,
    private readonly onLine: (line: Buffer, droppedBytes: number) => void,
  ) {}

  push(chunk: Uint8Array): void {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl === -1) {
        this.keep(buf);
        return;
      }
      this.keep(buf.subarray(0, nl));
      this.emit();
      buf = buf.subarray(nl + 1);
    }
  }

  /** Emits what is left (a line without a final newline); returns whether there was any. */
  flush(): boolean {
    if (this.size === 0 && this.dropped === 0) return false;
    this.emit();
    return true;
  }

  private keep(bytes: Buffer): void {
    const room = this.maxLine - this.size;
    if (bytes.length <= room) {
      if (bytes.length > 0) {
        this.parts.push(Buffer.from(bytes));
        this.size += bytes.length;
      }
      return;
    }
    if (room > 0) {
      this.parts.push(Buffer.from(bytes.subarray(0, room)));
      this.size += room;
    }
    this.dropped += bytes.length - Math.max(0, room);
  }

  private emit(): void {
    let line = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size);
    if (line.length > 0 && line[line.length - 1] === 13 && this.dropped === 0) line = line.subarray(0, line.length - 1);
    const dropped = this.dropped;
    this.parts = [];
    this.size = 0;
    this.dropped = 0;
    this.onLine(line, dropped);
  }
}
