// Fields tsrun cannot honour as written are refused, naming the field by
// its JSON pointer, with nothing left behind: confinement the host cannot
// apply (AppArmor, SELinux), strings a C string would cut at a NUL byte,
// and hooks with a relative path.
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsNamed, makeBundle, stateRoot, uniqueId, logMessages } from '../helpers.js';
import { hostLsm } from '../../src/linux/lsm.js';
import type { Spec } from '../../src/spec/types.js';

const lsm = hostLsm();

/** create from an `edit`ed config must exit 1 naming `pointer`, with no state directory or cgroup left. */
async function refused(t: Test, edit: (s: Spec) => void, pointer: string | RegExp, msg: RegExp = /./): Promise<void> {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, edit);
  const id = uniqueId('refused');
  const r = await run(['create', '--bundle', dir, id]);
  t.equal(r.code, 1, `create exits 1 (${r.stderr.trim()})`);
  // stderr holds logrus lines: match the messages they carry, unquoted.
  t.match(logMessages(r.stderr), pointer, `the error names ${pointer}`);
  t.match(logMessages(r.stderr), msg);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.notOk(r.stderr.includes('\0'), 'no raw NUL byte in the message');
  t.same(readdirSync(root), [], 'nothing in the state root');
  t.same(cgroupDirsNamed(id), [], 'no cgroup');
}

t.test('process.apparmorProfile on a host without AppArmor is refused', { skip: lsm.apparmor && 'this host has AppArmor' }, async (t) => {
  await refused(t, (s) => (s.process!.apparmorProfile = 'tsrun-test-profile'), '/process/apparmorProfile', /no AppArmor/);
});

t.test('process.selinuxLabel on a host without SELinux is refused', { skip: lsm.selinux && 'this host has SELinux' }, async (t) => {
  await refused(t, (s) => (s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'), '/process/selinuxLabel', /no SELinux/);
});

t.test('linux.mountLabel on a host without SELinux is refused', { skip: lsm.selinux && 'this host has SELinux' }, async (t) => {
  await refused(t, (s) => (s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0'), '/linux/mountLabel', /no SELinux/);
});

t.test('exec with an AppArmor profile or SELinux label the host cannot apply is refused', { skip: (lsm.apparmor || lsm.selinux) && 'this host has an LSM' }, async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '60']));
  const id = uniqueId('lsm-exec');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  for (const [field, value] of [
    ['apparmorProfile', 'tsrun-test-profile'],
    ['selinuxLabel', 'system_u:system_r:container_t:s0'],
  ]) {
    const proc = { cwd: '/', args: ['sh', '-c', 'echo RAN'], user: { uid: 0, gid: 0 }, env: ['PATH=/bin'], [field!]: value };
    const file = join(dir, `process-${field}.json`);
    writeFileSync(file, JSON.stringify(proc));
    const r = await run(['exec', '--process', file, id]);
    t.not(r.code, 0, `${field}: exec fails`);
    t.match(r.stderr, `/process/${field}`, `${field}: the error names the field`);
    t.notMatch(r.stdout, /RAN/, `${field}: nothing ran`);
  }
});

t.test('a NUL byte in a mount destination is refused, not cut', async (t) => {
  await refused(t, (s) => s.mounts!.push({ destination: '/mnt\0/etc', type: 'tmpfs', source: 'tmpfs' }), /\/mounts\/\d+\/destination: contains a NUL byte/);
});

t.test('a NUL byte in an env entry, an argument, the hostname or a sysctl is refused', async (t) => {
  await refused(t, (s) => s.process!.env!.push('A=b\0LD_PRELOAD=/x'), /\/process\/env\/\d+: contains a NUL byte/);
  await refused(t, (s) => s.process!.args!.push('x\0y'), /\/process\/args\/\d+: contains a NUL byte/);
  await refused(t, (s) => (s.hostname = 'a\0b'), '/hostname: contains a NUL byte');
  await refused(t, (s) => (s.linux!.sysctl = { 'net.ipv4.ip_forward\0x': '1' }), /\/linux\/sysctl\/net\.ipv4\.ip_forward\\u0000x: the key contains a NUL byte/);
});

t.test('exec of a process with a NUL byte in its env is refused', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '60']));
  const id = uniqueId('nul-exec');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  // (Node's spawn refuses a NUL in argv, so through --process.)
  const file = join(dir, 'process.json');
  writeFileSync(file, JSON.stringify({ cwd: '/', args: ['sh', '-c', 'echo RAN'], user: { uid: 0, gid: 0 }, env: ['PATH=/bin', 'A=b\0c'] }));
  const r = await run(['exec', '--process', file, id]);
  t.not(r.code, 0, 'exec fails');
  t.match(r.stderr, /\/process\/env\/\d+: contains a NUL byte/);
  t.notMatch(r.stdout, /RAN/);
});

t.test('a hook with a relative path is refused before anything runs', async (t) => {
  const marker = join(process.cwd(), `tsrun-test-hook-${process.pid}`);
  for (const kind of ['prestart', 'createContainer', 'poststop'] as const) {
    await refused(t, (s) => (s.hooks = { [kind]: [{ path: './x', args: ['x'] }] }), `/hooks/${kind}/0/path`, /must be an absolute path/);
  }
  t.notOk(existsSync(marker));
});

t.test('the host facts the skips above rest on', async (t) => {
  const enabled = existsSync('/sys/module/apparmor/parameters/enabled') && readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  t.equal(lsm.apparmor, enabled);
  t.equal(lsm.selinux, existsSync('/sys/fs/selinux/enforce'));
});
