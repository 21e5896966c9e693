// A container with bind mounts, a tmpfs, masked and read-only paths, a
// non-root user, a seccomp profile and cgroup limits keeps all of them
// through checkpoint and restore. The init itself probes what it may do
// every loop and leaves a "leak" file in the writable bind mount if a
// restriction is gone; the host reads its status, mounts and cgroup files.
import t, { type Test } from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, parseMountinfo, stateRoot, tempDir, tsrun, uniqueId } from '../helpers.js';
import { CRIU, counter, countsPast, skip, tsrunQuiet } from './criu.js';

const SCRIPT = [
  'echo kept > /scratch/note',
  'i=0',
  'while true; do',
  '  echo $i > /data/counter; i=$((i+1))',
  // Written aside, then renamed: the test reads these files while the loop rewrites them.
  '  id -u > /data/uid.new && mv /data/uid.new /data/uid',
  // `2>/dev/null` on a command busybox runs inside the shell moves the shell's own
  // stderr (a host file, outside the container) to fd 10 for that moment; a dump
  // then finds a host file that descriptors.json does not name. In a subshell the
  // redirection is the child's.
  '  (cat /scratch/note > /data/note.new) 2>/dev/null && mv /data/note.new /data/note',
  '  (mkdir /scratch/d) 2>/dev/null && echo seccomp > /data/leak-seccomp',
  '  (touch /ro/x) 2>/dev/null && echo ro > /data/leak-ro',
  '  sleep 0.1',
  'done',
].join('\n');

interface Seen {
  uid: string;
  capEff: string;
  seccomp: string;
  memoryLimit: string;
  pidsMax: string;
  mounts: Record<string, { fstype: string; ro: boolean }>;
}

/** What the host sees of the container's init. */
function observe(pid: number): Seen {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
  const cg = Object.fromEntries(
    readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [, ctrl, path] = l.split(':');
        return [ctrl!, path!];
      }),
  );
  const mem = existsSync('/sys/fs/cgroup/memory')
    ? readFileSync(`/sys/fs/cgroup/memory${cg.memory}/memory.limit_in_bytes`, 'utf8').trim()
    : readFileSync(`/sys/fs/cgroup${cg['']}/memory.max`, 'utf8').trim();
  const pids = existsSync('/sys/fs/cgroup/pids') ? readFileSync(`/sys/fs/cgroup/pids${cg.pids}/pids.max`, 'utf8').trim() : readFileSync(`/sys/fs/cgroup${cg['']}/pids.max`, 'utf8').trim();
  const mounts: Seen['mounts'] = {};
  for (const m of parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'))) {
    if (['/data', '/ro', '/scratch', '/proc/sys', '/proc/keys', '/proc/acpi', '/'].includes(m.mountPoint)) mounts[m.mountPoint] = { fstype: m.fstype, ro: m.options.includes('ro') };
  }
  return { uid: field('Uid'), capEff: field('CapEff'), seccomp: `${field('Seccomp')}/${field('Seccomp_filters')}`, memoryLimit: mem, pidsMax: pids, mounts };
}

/** Without CAP_SYS_RESOURCE CRIU cannot read another user's rlimits: tsrun refuses such a checkpoint (see errors.test.ts). */
const capEff = BigInt('0x' + /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
const noSysResource =
  (capEff & (1n << 24n)) === 0n
    ? 'CRIU cannot dump a non-root process here: this runtime lacks CAP_SYS_RESOURCE (not in the bounding set), which prlimit(2) of another user needs; runc fails the same way'
    : false;

for (const uid of [0, 1000]) {
  t.test(`mounts, user ${uid}, seccomp and cgroup limits are all in force after restore`, { skip: skip || (uid !== 0 && noSysResource) }, (t) => restoresConfig(t, uid));
}

async function restoresConfig(t: Test, uid: number): Promise<void> {
  const { root } = stateRoot(t);
  const host = tempDir(t, 'criu-cfg');
  const data = join(host, 'data');
  const ro = join(host, 'ro');
  mkdirSync(data);
  mkdirSync(ro);
  chmodSync(data, 0o777);
  writeFileSync(join(ro, 'file'), 'read only\n');
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', SCRIPT];
    s.process!.user = { uid, gid: uid };
    s.mounts!.push(
      { destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] },
      { destination: '/ro', type: 'bind', source: ro, options: ['rbind', 'ro'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=1m'] },
    );
    s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 64 } };
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
  });
  const images = join(tempDir(t, 'criu-img'), 'img');
  const id = uniqueId('cr-cfg');
  const file = join(data, 'counter');
  const r0 = await tsrunQuiet(['--root', root, 'run', '-d', '--bundle', dir, id]);
  t.equal(r0.code, 0, r0.stderr);
  // Teardowns run last-in first-out: the container goes before its bundle.
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  t.ok(await countsPast(file, 3), 'counting');
  const pid0 = JSON.parse((await tsrun(['--root', root, 'state', id])).stdout).pid as number;
  const before = observe(pid0);
  t.match(before.uid, new RegExp(`^${uid}\\s`), `runs as uid ${uid}`);
  t.equal(before.seccomp, '2/1', 'one seccomp filter');
  t.equal(before.memoryLimit, String(64 * 1024 * 1024));
  t.equal(before.pidsMax, '64');
  t.same(before.mounts['/ro'], { fstype: before.mounts['/data']!.fstype, ro: true }, '/ro is a read-only bind');
  t.equal(before.mounts['/scratch']?.fstype, 'tmpfs');
  t.equal(before.mounts['/proc/sys']?.ro, true, '/proc/sys read-only');
  t.ok(before.mounts['/proc/keys'], '/proc/keys masked (a file)');
  t.same(before.mounts['/proc/acpi'], { fstype: 'tmpfs', ro: true }, '/proc/acpi masked (a directory)');

  const c = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--image-path', images, id]);
  t.equal(c.code, 0, c.stderr);
  const dumped = counter(file);
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'restore', '-d', '--image-path', images, '--bundle', dir, id]);
  t.equal(r.code, 0, r.stderr);
  t.ok(await countsPast(file, dumped + 3), 'counting on after restore');
  const pid1 = JSON.parse((await tsrun(['--root', root, 'state', id])).stdout).pid as number;
  t.not(pid1, pid0, 'a new host pid');
  t.same(observe(pid1), before, 'user, capabilities, seccomp, cgroup limits and mounts as before');
  t.equal(readFileSync(join(data, 'uid'), 'utf8').trim(), String(uid), `the init says it is uid ${uid}`);
  t.equal(readFileSync(join(data, 'note'), 'utf8').trim(), 'kept', "the tmpfs's content came back");
  for (const leak of ['seccomp', 'ro']) t.notOk(existsSync(join(data, `leak-${leak}`)), `no ${leak} leak`);
  t.equal((await tsrun(['--root', root, 'delete', '--force', id])).code, 0);
}
