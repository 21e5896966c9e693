// The ttrpc layer on its own: a server and a client over a real unix socket,
// frames checked byte for byte against PROTOCOL.md.
import t from 'tap';
import { connect } from 'node:net';
import { join } from 'node:path';
import { TtrpcClient, TtrpcServer, TtrpcError, Code } from '../../src/ttrpc/index.js';
import { encodeFrame, FrameDecoder, HEADER_LENGTH, MAX_DATA_LENGTH, MessageType } from '../../src/ttrpc/frame.js';
import { decodeResponse, encodeRequest } from '../../src/ttrpc/messages.js';
import { tempDir, type Teardown } from '../helpers.js';

async function serve(t: Teardown, setup: (s: TtrpcServer) => void): Promise<string> {
  const path = join(tempDir(t, 'ttrpc'), 'sock');
  const s = new TtrpcServer();
  setup(s);
  await s.listen(path);
  t.teardown(() => s.close(50));
  return path;
}

async function client(t: Teardown, path: string): Promise<TtrpcClient> {
  const c = await TtrpcClient.connect(path);
  t.teardown(() => c.close());
  return c;
}

t.test('frame header: length, stream id, type, flags, big-endian', async (t) => {
  const f = encodeFrame(0x01020304, MessageType.Data, 0x05, Buffer.from('abc'));
  t.same([...f], [0, 0, 0, 3, 1, 2, 3, 4, 3, 5, 0x61, 0x62, 0x63]);
  const dec = new FrameDecoder();
  // Byte by byte: frames come out only when whole.
  const got = [];
  for (const b of Buffer.concat([f, encodeFrame(3, 1, 0, Buffer.alloc(0))])) got.push(...dec.push(Buffer.from([b])));
  t.same(got, [
    { streamId: 0x01020304, type: 3, flags: 5, data: Buffer.from('abc') },
    { streamId: 3, type: 1, flags: 0, data: Buffer.alloc(0) },
  ]);
  t.throws(() => encodeFrame(1, 1, 0, Buffer.alloc(MAX_DATA_LENGTH + 1)), /exceeds/);
});

t.test('unary calls: payload echoed, concurrent calls matched to their streams', async (t) => {
  const path = await serve(t, (s) =>
    s.register('test.Echo', {
      Echo: async (req) => {
        const ms = Number(Buffer.from(req.payload).toString().split(':')[1] ?? 0);
        await new Promise((r) => setTimeout(r, ms));
        return Buffer.concat([Buffer.from(`${req.service}/${req.method}/${req.metadata.map((m) => m.key + '=' + m.value).join(',')}/`), req.payload]);
      },
    }),
  );
  const c = await client(t, path);
  const [slow, fast] = await Promise.all([
    c.call('test.Echo', 'Echo', Buffer.from('slow:50'), { metadata: [{ key: 'containerd-namespace-ttrpc', value: 'ns1' }] }),
    c.call('test.Echo', 'Echo', Buffer.from('fast:0')),
  ]);
  t.equal(slow.toString(), 'test.Echo/Echo/containerd-namespace-ttrpc=ns1/slow:50');
  t.equal(fast.toString(), 'test.Echo/Echo//fast:0');
});

t.test('errors carry their gRPC code and text', async (t) => {
  const path = await serve(t, (s) =>
    s.register('test.Svc', {
      NotFound: () => {
        throw new TtrpcError(Code.NotFound, 'container x: not found');
      },
      Crash: () => {
        throw new Error('plain error');
      },
    }),
  );
  const c = await client(t, path);
  await t.rejects(c.call('test.Svc', 'NotFound', new Uint8Array()), { code: Code.NotFound, message: 'container x: not found' });
  await t.rejects(c.call('test.Svc', 'Crash', new Uint8Array()), { code: Code.Unknown, message: 'plain error' });
  await t.rejects(c.call('test.Svc', 'Nope', new Uint8Array()), { code: Code.Unimplemented, message: 'method Nope' });
  await t.rejects(c.call('test.Other', 'X', new Uint8Array()), { code: Code.Unimplemented, message: 'service test.Other' });
  // The connection still serves after errors.
  await t.rejects(c.call('test.Svc', 'NotFound', new Uint8Array()), { code: Code.NotFound });
});

/** Sends raw bytes on a fresh connection; resolves with the first response frame. */
function rawExchange(path: string, bytes: Buffer): Promise<{ streamId: number; code: number; message: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => s.write(bytes));
    const dec = new FrameDecoder();
    s.on('data', (chunk) => {
      for (const f of dec.push(chunk)) {
        if ('oversized' in f) continue;
        const r = decodeResponse(f.data);
        s.destroy();
        resolve({ streamId: f.streamId, code: r.status.code, message: r.status.message });
      }
    });
    s.on('error', reject);
  });
}

t.test('malformed input: bad protobuf, even stream id, streaming request, oversized frame', async (t) => {
  const path = await serve(t, (s) => s.register('test.Svc', { Ok: () => Buffer.from('ok') }));
  const garbage = await rawExchange(path, encodeFrame(1, MessageType.Request, 0, Buffer.from([0xff, 0xff, 0xff])));
  t.equal(garbage.code, Code.InvalidArgument);
  t.match(garbage.message, /malformed request/);
  const req = encodeRequest({ service: 'test.Svc', method: 'Ok', payload: new Uint8Array(), timeoutNano: 0, metadata: [] });
  t.equal((await rawExchange(path, encodeFrame(2, MessageType.Request, 0, req))).code, Code.InvalidArgument);
  t.equal((await rawExchange(path, encodeFrame(5, MessageType.Request, 0x02, req))).code, Code.Unimplemented);
  // A header claiming 5 MiB: the server skips those bytes and answers
  // ResourceExhausted on that stream, then serves the next request.
  const head = Buffer.alloc(HEADER_LENGTH);
  head.writeUInt32BE(MAX_DATA_LENGTH + (1 << 20), 0);
  head.writeUInt32BE(7, 4);
  head.writeUInt8(MessageType.Request, 8);
  const big = Buffer.concat([head, Buffer.alloc(MAX_DATA_LENGTH + (1 << 20)), encodeFrame(9, MessageType.Request, 0, req)]);
  const got: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const s = connect(path, () => s.write(big));
    const dec = new FrameDecoder();
    s.on('data', (chunk) => {
      for (const f of dec.push(chunk)) {
        if ('oversized' in f) continue;
        got.push(f.streamId, decodeResponse(f.data).status.code);
        if (got.length === 4) {
          s.destroy();
          resolve();
        }
      }
    });
    s.on('error', reject);
  });
  t.same(got, [7, Code.ResourceExhausted, 9, Code.OK]);
});

t.test('close() waits for running calls to answer, then refuses new connections', async (t) => {
  const path = join(tempDir(t, 'ttrpc'), 'sock');
  const s = new TtrpcServer();
  let release!: () => void;
  s.register('test.Svc', { Slow: () => new Promise<Uint8Array>((r) => (release = () => r(Buffer.from('done')))) });
  await s.listen(path);
  const c = await TtrpcClient.connect(path);
  const call = c.call('test.Svc', 'Slow', new Uint8Array());
  await new Promise((r) => setTimeout(r, 20));
  const closing = s.close();
  release();
  t.equal((await call).toString(), 'done');
  await closing;
  await t.rejects(TtrpcClient.connect(path), { code: 'ENOENT' });
  await t.rejects(c.call('test.Svc', 'Slow', new Uint8Array()), { code: Code.Unavailable });
});

t.test('a client call with a deadline fails with DeadlineExceeded', async (t) => {
  const path = await serve(t, (s) => s.register('test.Svc', { Never: () => new Promise<Uint8Array>(() => {}) }));
  const c = await client(t, path);
  await t.rejects(c.call('test.Svc', 'Never', new Uint8Array(), { timeoutMs: 30 }), { code: Code.DeadlineExceeded });
});
