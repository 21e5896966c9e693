/**
 * A ttrpc client on node:net: unary calls. The shim uses it to forward events
 * to containerd's ttrpc socket; the tests use it to drive the server.
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, isOversized, MessageType } from './frame.js';
import { decodeResponse, encodeRequest, type KeyValue } from './messages.js';
import { Code, TtrpcError, type StatusCode } from './status.js';

export interface CallOptions {
  metadata?: KeyValue[];
  /** Deadline sent to the server and enforced here; 0 or absent: none. */
  timeoutMs?: number;
}

interface Pending {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

export class TtrpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedError: Error | null = null;

  private constructor(private readonly sock: Socket) {
    const dec = new FrameDecoder();
    sock.on('data', (chunk) => {
      for (const f of dec.push(chunk)) {
        const p = this.pending.get(f.streamId);
        if (!p) continue;
        this.pending.delete(f.streamId);
        clearTimeout(p.timer);
        if (isOversized(f)) {
          p.reject(new TtrpcError(Code.ResourceExhausted, `ttrpc: response of ${f.length} bytes exceeds the limit`));
          continue;
        }
        if (f.type !== MessageType.Response) continue;
        try {
          const r = decodeResponse(f.data);
          if (r.status.code !== Code.OK) p.reject(new TtrpcError(r.status.code as StatusCode, r.status.message));
          else p.resolve(Buffer.from(r.payload));
        } catch (e) {
          p.reject(new TtrpcError(Code.Internal, `ttrpc: malformed response: ${(e as Error).message}`));
        }
      }
    });
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new TtrpcError(Code.Unavailable, 'ttrpc: connection closed')));
  }

  static connect(path: string): Promise<TtrpcClient> {
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new TtrpcClient(sock));
      });
    });
  }

  call(service: string, method: string, payload: Uint8Array, opts: CallOptions = {}): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId;
    this.nextId += 2;
    const timeoutMs = opts.timeoutMs ?? 0;
    const body = encodeRequest({ service, method, payload, timeoutNano: timeoutMs * 1e6, metadata: opts.metadata ?? [] });
    return new Promise<Buffer>((resolve, reject) => {
      const p: Pending = { resolve, reject };
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new TtrpcError(Code.DeadlineExceeded, `ttrpc: ${service}/${method}: no response in ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(id, p);
      this.sock.write(encodeFrame(id, MessageType.Request, 0, body));
    });
  }

  /** Writes raw bytes (tests send malformed frames with it). */
  writeRaw(b: Uint8Array): void {
    this.sock.write(b);
  }

  close(): void {
    this.sock.end();
    this.sock.destroySoon();
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.pending.delete(id);
    }
  }
}
