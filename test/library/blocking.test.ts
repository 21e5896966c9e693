// RuntimeOptions.blocking (what tsrun's CLI uses): the runc-style create and
// start make their system calls on the calling thread. Checked from outside:
// the container's state and its process, the cgroup directories, and that a
// set-up the executor refuses leaves nothing behind, as without the option.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shSpec, testRuntime } from './helpers.js';
import { cgroupDirsNamed, uniqueId, waitFor } from '../helpers.js';

t.test('blocking: createUnwatched, start, state and delete', async (t) => {
  const rt = testRuntime(t, { blocking: true });
  const id = uniqueId('blk');
  await rt.createUnwatched(id, { spec: shSpec('exit 0') });
  const st = await rt.state(id);
  t.equal(st.status, 'created');
  t.match(readFileSync(`/proc/${st.pid}/cmdline`, 'utf8'), /tsrun/, 'the init waits in the executor');
  t.ok(cgroupDirsNamed(id).length > 0, 'its cgroup exists');
  await rt.start(id);
  t.ok(await waitFor(async () => (await rt.state(id)).status === 'stopped'), 'the init ran and exited');
  await rt.delete(id);
  t.same(cgroupDirsNamed(id), [], 'delete removed the cgroup');
});

t.test('blocking: a failed set-up is an error that leaves nothing', async (t) => {
  const rt = testRuntime(t, { blocking: true });
  const id = uniqueId('blk');
  // The executor's child fails an op (no program to run in the rootfs): its "E" line, then the socket's end.
  await t.rejects(rt.createUnwatched(id, { spec: shSpec('exit 0', (s) => (s.process!.args = ['/no/such/program'])) }), { name: 'TsrunError', message: /no\/such\/program/ });
  t.same(await rt.list(), [], 'no container');
  t.notOk(existsSync(join((rt as unknown as { ctx: { store: { root: string } } }).ctx.store.root, id)), 'no state directory');
  t.same(cgroupDirsNamed(id), [], 'no cgroup');
});
