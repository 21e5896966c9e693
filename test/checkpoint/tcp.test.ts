// An established TCP connection inside the container's network namespace:
// refused without --tcp-established (CRIU says why, the container runs on);
// with it on both sides the connection survives and bytes keep flowing.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, tempDir, tsrun, uniqueId, waitFor, logMessages } from '../helpers.js';
import { CRIU, skip, tsrunQuiet } from './criu.js';

// The server's stdin never ends (busybox nc closes the connection at EOF of it).
const SCRIPT = 'ifconfig lo up; sleep 100000 | nc -l -p 1234 > /tcp-out & sleep 0.5; i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done | nc 127.0.0.1 1234';

function lastLine(file: string): number {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return Number(lines[lines.length - 1] || -1);
  } catch {
    return -1;
  }
}

t.test('--tcp-established: a connection inside the container survives checkpoint and restore', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', SCRIPT];
    for (const k of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![k]!.push('CAP_NET_ADMIN');
  });
  const id = uniqueId('cr-tcp');
  const out = join(rootfs, 'tcp-out');
  t.equal((await tsrunQuiet(['--root', root, 'run', '-d', '--bundle', dir, id])).code, 0);
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  t.ok(await waitFor(() => lastLine(out) >= 3, 10_000), 'bytes flow over 127.0.0.1:1234');
  const images = join(tempDir(t, 'criu-img'), 'img');

  const no = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--image-path', images, id]);
  t.equal(no.code, 1, 'refused without --tcp-established');
  t.match(logMessages(no.stderr), /Connected TCP socket, consider using --tcp-established/);
  t.equal(JSON.parse((await tsrun(['--root', root, 'state', id])).stdout).status, 'running', 'the container runs on');

  const c = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--tcp-established', '--image-path', images, id]);
  t.equal(c.code, 0, c.stderr);
  const dumped = lastLine(out);
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'restore', '-d', '--tcp-established', '--image-path', images, '--bundle', dir, id]);
  t.equal(r.code, 0, r.stderr);
  t.ok(await waitFor(() => lastLine(out) > dumped + 3, 10_000), `the same connection carries on past ${dumped} (now ${lastLine(out)})`);
});
