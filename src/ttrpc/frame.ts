/**
 * ttrpc's framing (containerd/ttrpc PROTOCOL.md): a 10-byte header, then the
 * data. Length and stream id are big-endian uint32; type and flags one byte
 * each. Data over 4 MiB is refused by both ends.
 */
export const HEADER_LENGTH = 10;
export const MAX_DATA_LENGTH = 4 << 20;

export const MessageType = { Request: 1, Response: 2, Data: 3 } as const;

/** Request flags: the client will (open) or will not (closed) send stream data. */
export const Flags = { RemoteClosed: 0x01, RemoteOpen: 0x02, NoData: 0x04 } as const;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  data: Buffer;
}

export function encodeFrame(streamId: number, type: number, flags: number, data: Uint8Array): Buffer {
  if (data.length > MAX_DATA_LENGTH) throw new RangeError(`ttrpc: message of ${data.length} bytes exceeds the ${MAX_DATA_LENGTH}-byte limit`);
  const buf = Buffer.allocUnsafe(HEADER_LENGTH + data.length);
  buf.writeUInt32BE(data.length, 0);
  buf.writeUInt32BE(streamId >>> 0, 4);
  buf.writeUInt8(type, 8);
  buf.writeUInt8(flags, 9);
  buf.set(data, HEADER_LENGTH);
  return buf;
}

/** A frame whose data was over the limit: its bytes were skipped. */
export interface OversizedFrame {
  streamId: number;
  type: number;
  length: number;
  oversized: true;
}

/**
 * Cuts a byte stream into frames. Frames whose length is over the limit are
 * skipped without buffering them (as the Go implementation does), and
 * reported so the server can answer ResourceExhausted on that stream.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private skip = 0;

  push(chunk: Buffer): Array<Frame | OversizedFrame> {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Array<Frame | OversizedFrame> = [];
    while (this.buffered >= HEADER_LENGTH) {
      const head = this.take(HEADER_LENGTH, true);
      const length = head.readUInt32BE(0);
      const streamId = head.readUInt32BE(4);
      const type = head.readUInt8(8);
      const flags = head.readUInt8(9);
      if (length > MAX_DATA_LENGTH) {
        this.take(HEADER_LENGTH, false);
        const n = Math.min(length, this.buffered);
        if (n > 0) this.take(n, false);
        this.skip = length - n;
        out.push({ streamId, type, length, oversized: true });
        if (this.skip > 0) break;
        continue;
      }
      if (this.buffered < HEADER_LENGTH + length) break;
      this.take(HEADER_LENGTH, false);
      out.push({ streamId, type, flags, data: length > 0 ? this.take(length, false) : Buffer.alloc(0) });
    }
    return out;
  }

  /** The first n buffered bytes; consumed unless peek. */
  private take(n: number, peek: boolean): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const head = Buffer.from(all.subarray(0, n));
    if (!peek) {
      const rest = all.subarray(n);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    } else if (this.chunks.length > 1) {
      this.chunks = [all];
    }
    return head;
  }
}

export function isOversized(f: Frame | OversizedFrame): f is OversizedFrame {
  return (f as OversizedFrame).oversized === true;
}
