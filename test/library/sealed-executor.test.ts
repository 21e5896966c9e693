// The executors a long-lived program starts run from one sealed in-memory
// copy (src/native/sealed-executor.ts): never from the host's file
// (CVE-2019-5736), never writable, and one copy shared by every monitor
// rather than 700 KB more per container.
import t from 'tap';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
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

t.test('a copy whose fd the program closed is never used: the number may name another file by then', async (t) => {
  const rt = testRuntime(t);
  const spec = shSpec('true');
  const first = await rt.create(uniqueId('lib-sealed-c'), { spec, stdio: ['ignore', 'ignore', 'ignore'] });
  await first.start();
  await first.wait();
  await first.delete();
  const ours = readdirSync('/proc/self/fd').find((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('/memfd:tsrun-executor');
    } catch {
      return false;
    }
  });
  t.ok(ours, 'the copy is open in this process');
  closeSync(Number(ours));
  // Open files until one gets the number just closed: it then names a plain file.
  const opened: number[] = [];
  t.teardown(() => opened.forEach((fd) => closeSync(fd)));
  while (opened.length < 4096 && opened.at(-1) !== Number(ours)) opened.push(openSync('/dev/null', 'r'));
  t.equal(opened.at(-1), Number(ours), 'the number is reused');
  const c = await rt.create(uniqueId('lib-sealed-d'), { spec: shSpec('sleep 30'), stdio: ['ignore', 'ignore', 'ignore'] });
  t.teardown(() => c.delete({ force: true }));
  await c.start();
  t.match(readlinkSync(`/proc/${parentOf(c.pid)}/exe`), /^\/memfd:tsrun-executor/, 'the monitor runs from a new sealed copy');
});

t.test("the copy's fd is moved above the fds the executor gets, which are set before its execve", async (t) => {
  const rt = testRuntime(t);
  const first = await rt.create(uniqueId('lib-sealed-e'), { spec: shSpec('true'), stdio: ['ignore', 'ignore', 'ignore'] });
  await first.start();
  await first.wait();
  await first.delete();
  const copy = ourCopy();
  t.ok(copy !== undefined, 'the copy is open in this process');
  // Fill every gap below its number M, so that fds 3..M-1 can all be passed on.
  const opened: number[] = [];
  t.teardown(() => opened.forEach((fd) => closeSync(fd)));
  const isOpen = (fd: number) => {
    try {
      fstatSync(fd);
      return true;
    } catch {
      return false;
    }
  };
  for (let fd = 3; fd < copy!; fd++) while (!isOpen(fd)) opened.push(openSync('/dev/null', 'r'));
  // preserveFds M-3: the executor gets fds 3..M-1 and its sync socket as fd M, the copy's number.
  const c = await rt.create(uniqueId('lib-sealed-f'), { spec: shSpec('true'), stdio: ['ignore', 'ignore', 'ignore'], preserveFds: copy! - 3 });
  await c.start();
  t.same(await c.wait(), { exitCode: 0, signal: null, oomKilled: false }, 'the container ran');
  await c.delete();
});

function ourCopy(): number | undefined {
  const fd = readdirSync('/proc/self/fd').find((n) => {
    try {
      return readlinkSync(`/proc/self/fd/${n}`).startsWith('/memfd:tsrun-executor');
    } catch {
      return false;
    }
  });
  return fd === undefined ? undefined : Number(fd);
}
