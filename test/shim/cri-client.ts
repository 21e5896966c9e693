// A CRI client for the tests, speaking to containerd's CRI plugin as kubelet
// does: gRPC (unary calls only) over HTTP/2 on a unix socket, with the
// messages of CRI's api.proto (proto/k8s.io/cri-api/..., unmodified) parsed
// by protobufjs. gRPC's unary framing is small enough to write on node:http2
// (a 5-byte prefix per message, the status in the trailers), so the tests
// need no gRPC package.
import { connect as h2connect, constants, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { TOP } from '../helpers.js';

const PROTO = join(TOP, 'proto');
const API = 'k8s.io/cri-api/pkg/apis/runtime/v1/api.proto';
// api.proto imports gogo.proto by its Go import path; proto/ holds it once, at gogoproto/.
const ALIASES: Record<string, string> = { 'github.com/gogo/protobuf/gogoproto/gogo.proto': 'gogoproto/gogo.proto' };

let root: protobuf.Root | null = null;
function types(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => {
    const rel = ALIASES[target] ?? target;
    const p = join(PROTO, rel);
    return existsSync(p) ? p : target;
  };
  r.loadSync(join(PROTO, API));
  r.resolveAll();
  return (root = r);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`gRPC ${code}: ${message}`);
  }
}

export class CriClient {
  private constructor(private readonly session: ClientHttp2Session) {}

  static connect(socket: string): CriClient {
    const session = h2connect('http://localhost', { createConnection: () => netConnect(socket) });
    session.on('error', () => {});
    return new CriClient(session);
  }

  close(): void {
    this.session.close();
  }

  /** runtime.v1.RuntimeService/METHOD (or ImageService): METHODRequest in, METHODResponse out. */
  call(method: string, req: Msg = {}, opts: { service?: string; timeoutMs?: number } = {}): Promise<Msg> {
    const R = types();
    const service = opts.service ?? 'runtime.v1.RuntimeService';
    const reqType = R.lookupType(`runtime.v1.${method}Request`);
    const resType = R.lookupType(`runtime.v1.${method}Response`);
    const err = reqType.verify(req);
    if (err) return Promise.reject(new Error(`${method}Request: ${err}`));
    const body = reqType.encode(reqType.fromObject(req)).finish();
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const stream = this.session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: `/${service}/${method}`,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${timeoutMs}m`,
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const take = (h: Record<string, unknown>) => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
      };
      const timer = setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), timeoutMs + 5000);
      stream.on('response', take);
      stream.on('trailers', take);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      stream.on('close', () => {
        clearTimeout(timer);
        if (status === undefined) return reject(new GrpcError(-1, `${method}: no grpc-status (stream closed)`));
        if (status !== '0') return reject(new GrpcError(Number(status), `${method}: ${message}`));
        const all = Buffer.concat(chunks);
        const len = all.length >= 5 ? all.readUInt32BE(1) : 0;
        const msg = resType.decode(all.subarray(5, 5 + len));
        resolve(resType.toObject(msg, { longs: Number, enums: Number, defaults: true, arrays: true, objects: true, bytes: Buffer }));
      });
      stream.end(frame);
    });
  }
}
