/**
 * A ttrpc server on node:net: unary calls only (the Task service and the
 * events service are unary). Each request runs its handler concurrently; the
 * response goes back on the request's stream with a google.rpc.Status.
 */
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { encodeFrame, Flags, FrameDecoder, isOversized, MAX_DATA_LENGTH, MessageType } from './frame.js';
import { decodeRequest, encodeResponse, type Request } from './messages.js';
import { Code, TtrpcError, type StatusCode } from './status.js';

/** Gets the request (its payload still encoded), returns the encoded response message. */
export type Handler = (req: Request) => Promise<Uint8Array> | Uint8Array;

export interface ServerOptions {
  /** Called with errors a handler threw that are not TtrpcErrors (they go to the client as Unknown). */
  onError?: (err: unknown, req: Request) => void;
  /** Called when a client connects (the shim daemon counts it as use). */
  onConnection?: () => void;
}

export class TtrpcServer {
  private readonly services = new Map<string, Map<string, Handler>>();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: ServerOptions = {}) {
    this.server = createServer((s) => this.accept(s));
  }

  register(service: string, methods: Record<string, Handler>): void {
    const m = this.services.get(service) ?? new Map<string, Handler>();
    for (const [name, h] of Object.entries(methods)) m.set(name, h);
    this.services.set(service, m);
  }

  /** Listens on a unix socket path, or on a listening socket fd handed down by a parent. */
  listen(where: string | { fd: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(where, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Number of open client connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * Stops accepting, lets running calls send their responses (for at most
   * graceMs: a call may wait forever, as Wait does), then closes every connection.
   */
  async close(graceMs = 1000): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    if (this.inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    for (const s of this.sockets) {
      s.end();
      s.destroySoon();
    }
    await closed;
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    this.opts.onConnection?.();
    const dec = new FrameDecoder();
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk) => {
      let frames;
      try {
        frames = dec.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      for (const f of frames) {
        if (isOversized(f)) {
          if (f.type === MessageType.Request) {
            this.reply(sock, f.streamId, Code.ResourceExhausted, `message length ${f.length} exceed maximum message size of ${MAX_DATA_LENGTH}`);
          }
          continue;
        }
        if (f.type !== MessageType.Request) continue; // no client streams: Data frames have nowhere to go
        this.handle(sock, f.streamId, f.flags, f.data);
      }
    });
  }

  private handle(sock: Socket, streamId: number, flags: number, data: Buffer): void {
    if (streamId % 2 !== 1) {
      this.reply(sock, streamId, Code.InvalidArgument, `ttrpc: stream id ${streamId} is not odd (client streams are odd)`);
      return;
    }
    if (flags & Flags.RemoteOpen) {
      this.reply(sock, streamId, Code.Unimplemented, 'ttrpc: streaming requests are not supported by this server');
      return;
    }
    let req: Request;
    try {
      req = decodeRequest(data);
    } catch (e) {
      this.reply(sock, streamId, Code.InvalidArgument, `ttrpc: malformed request: ${(e as Error).message}`);
      return;
    }
    const methods = this.services.get(req.service);
    const h = methods?.get(req.method);
    if (!h) {
      this.reply(sock, streamId, Code.Unimplemented, methods ? `method ${req.method}` : `service ${req.service}`);
      return;
    }
    this.inflight++;
    Promise.resolve()
      .then(() => h(req))
      .then(
        (payload) => this.reply(sock, streamId, Code.OK, '', payload),
        (e: unknown) => {
          if (e instanceof TtrpcError) {
            this.reply(sock, streamId, e.code, e.message);
          } else {
            this.opts.onError?.(e, req);
            this.reply(sock, streamId, Code.Unknown, e instanceof Error ? e.message : String(e));
          }
        },
      )
      .finally(() => {
        if (--this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  private reply(sock: Socket, streamId: number, code: StatusCode, message: string, payload: Uint8Array = new Uint8Array(0)): void {
    if (sock.destroyed) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(streamId, MessageType.Response, 0, encodeResponse({ status: { code, message }, payload }));
    } catch (e) {
      frame = encodeFrame(streamId, MessageType.Response, 0, encodeResponse({ status: { code: Code.ResourceExhausted, message: (e as Error).message }, payload: new Uint8Array(0) }));
    }
    sock.write(frame);
  }
}
