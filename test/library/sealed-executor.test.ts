// The executors a long-lived program starts run from one sealed in-memory
// copy (src/native/sealed-executor.ts): never from the host's file
// (CVE-2019-5736), never writable, and one copy shared by every monitor
// rather than 700 KB more per container.
import t from 'tap';
import { openSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { shSpec, testRuntime } from './helpers.js';
import { uniqueId } from '../helpers.js';

const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

t.test('every monitor runs from the same sealed copy of the executor', async (t) => {
  const rt = testRuntime(t);
  const spec = shSpec('sleep 30');
  const monitors: number[] = [];
  for (const name of ['a', 'b']) {
    const c = await rt.create(uniqueId(`lib-sealed-${name}`), { spec, stdio: ['ignore', 'ignore', 'ignore'] });
    t.teardown(() => c.delete({ force: true }));
    await c.start();
    monitors.push(parentOf(c.pid));
  }
  for (const m of monitors) t.match(readlinkSync(`/proc/${m}/exe`), /^\/memfd:tsrun-executor \(deleted\)$/, `monitor ${m} runs from the memfd`);
  const [a, b] = monitors.map((m) => statSync(`/proc/${m}/exe`));
  t.equal(a!.ino, b!.ino, 'one copy for both (same inode)');
  t.throws(() => openSync(`/proc/${monitors[0]}/exe`, 'r+'), /EPERM|ETXTBSY|EACCES/, 'the copy cannot be opened for writing');
});
