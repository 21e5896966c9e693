// Symlinks in the rootfs must not redirect the runtime's mounts onto the
// host (runc CVE-2021-30465 and older ones): mount destinations, bind mount
// destinations, maskedPaths and readonlyPaths that are (or pass through)
// symlinks to host paths, absolute or ../-relative, alone or in chains,
// are resolved as if the rootfs were / and land inside it.
//
// With a mount namespace a mount that escaped would only hide in the
// container's namespace, so each case is also run without one: there the
// runtime mounts in the host's namespace, and an escape would show in the
// host's /proc/self/mountinfo. Those attacks aim at a directory of the
// test's own; /etc is used only once they have shown the resolution safe.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostMountinfo, makeBundle, newHostMounts, parseMountinfo, stateRoot, uniqueId, unmountBelow, type MountInfo, type Teardown } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';
import { tmpDir } from './lib.js';

/**
 * A bundle, then its state root: teardowns run last-registered first, so
 * the containers are deleted (their host mounts removed) before the
 * leftover check and before the bundle's files go.
 */
function setup(t: Teardown, edit: (s: Spec) => void) {
  const b = makeBundle(t, edit);
  t.teardown(() => unmountBelow(b.dir));
  const sr = stateRoot(t);
  return { ...b, ...sr };
}

/**
 * A host directory standing for the host's /etc: files `secret` and
 * `secret2`, directories `d` and `ro`. The rootfs has a copy of each at the
 * same path, with other content. (The bundle's /tmp tmpfs is left out of the
 * config, or it would hide the copies: the directory is under /tmp.)
 */
function victim(t: Teardown, rootfs: string) {
  const dir = tmpDir(t, 'tsrun-test-victim-');
  t.teardown(() => unmountBelow(dir));
  for (const base of [dir, join(rootfs, dir)]) {
    const tag = base === dir ? 'host' : 'rootfs';
    mkdirSync(join(base, 'd'), { recursive: true });
    mkdirSync(join(base, 'ro'), { recursive: true });
    writeFileSync(join(base, 'secret'), `${tag}-secret\n`);
    writeFileSync(join(base, 'secret2'), `${tag}-secret2\n`);
  }
  return dir;
}
const noTmp = (s: Spec) => (s.mounts = s.mounts!.filter((m) => m.destination !== '/tmp'));

const dotdot = (path: string) => '../../../../../../../../..' + path;
const noMountNs = (s: Spec) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount'));

/** The mounts the container printed between ==mi and ==end. */
const MOUNTINFO = 'echo ==mi; cat /proc/self/mountinfo; echo ==end; ';
function mountsOf(out: string): MountInfo[] {
  const m = /==mi\n([\s\S]*?)==end\n/.exec(out);
  return m ? parseMountinfo(m[1]!) : [];
}

t.test('mount destinations that are symlinks to /etc land on the rootfs /etc (own mount namespace)', async (t) => {
  const etcBefore = readdirSync('/etc').sort();
  const before = hostMountinfo();
  const links: Record<string, string> = {
    'mnt-abs': '/etc',
    'mnt-rel': dotdot('/etc'),
    'chain-a': '/chain-b/../chain-c', // a -> b/../c -> c -> ../../etc
    'chain-b': 'chain-c',
    'chain-c': dotdot('/etc'),
    'dir-link': '/etc',
  };
  const dests = ['/mnt-abs', '/mnt-rel', '/chain-a', '/dir-link/sub'];
  const { dir, rootfs, run } = setup(t, (s) => {
    s.process!.args = ['sh', '-c', MOUNTINFO + 'for d in ' + dests.join(' ') + '; do echo escaped > $d/tsrun-escape-marker; done; ls /etc'];
    dests.forEach((d, i) => s.mounts!.push({ destination: d, type: 'tmpfs', source: 'tmpfs', options: [`size=${i + 1}m`] }));
  });
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(rootfs, name));
  const r = await run(['run', '--bundle', dir, uniqueId('mntlink')]);
  t.equal(r.code, 0, `run: ${r.stderr}`);
  const mounts = mountsOf(r.stdout).filter((m) => m.fstype === 'tmpfs' && m.mountPoint.startsWith('/etc'));
  t.same(
    mounts.map((m) => m.mountPoint),
    ['/etc', '/etc', '/etc', '/etc/sub'],
    'every tmpfs is mounted on the rootfs /etc (or a directory made in it)',
  );
  t.match(r.stdout, /^tsrun-escape-marker$/m, 'the container wrote into its own /etc');
  t.notOk(existsSync('/etc/tsrun-escape-marker'), "nothing written to the host's /etc");
  t.notOk(existsSync('/etc/sub'), "no directory made in the host's /etc");
  t.same(readdirSync('/etc').sort(), etcBefore, "the host's /etc is unchanged");
  t.same(newHostMounts(before, ['/etc', dir]), [], 'no new mount on the host');
});

let hostNsHeld = false;

t.test('no mount namespace: symlinked mount, bind, masked and read-only destinations stay in the rootfs', async (t) => {
  const before = hostMountinfo();
  const src = tmpDir(t, 'tsrun-test-src-');
  writeFileSync(join(src, 'bound'), 'bound-file\n');
  const { dir, rootfs, run, root } = setup(t, (s) => {
    noMountNs(s);
    noTmp(s);
    s.process!.args = ['sleep', '60'];
    s.mounts!.push(
      { destination: '/mnt-abs', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      { destination: '/mnt-rel', type: 'tmpfs', source: 'tmpfs', options: ['size=2m'] },
      { destination: '/chain-a', type: 'tmpfs', source: 'tmpfs', options: ['size=3m'] },
      { destination: '/file-link', type: 'bind', source: join(src, 'bound'), options: ['bind'] },
    );
    s.linux!.maskedPaths = ['/dangling', '/mask-link'];
    s.linux!.readonlyPaths = ['/ro-link'];
  });
  const v = victim(t, rootfs);
  const links: Record<string, string> = {
    'mnt-abs': join(v, 'd'),
    'mnt-rel': dotdot(join(v, 'd')),
    'chain-a': '/chain-b', // -> ../..//tmp/x/../x/d
    'chain-b': `${dotdot(v)}/../${v.split('/').pop()}/d`,
    'file-link': join(v, 'secret'),
    'mask-link': dotdot(join(v, 'secret2')),
    'ro-link': join(v, 'ro'),
    dangling: join(v, 'missing'),
  };
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(rootfs, name));
  const victimBefore = readdirSync(v).sort();

  const id = uniqueId('hostns');
  const c = await run(['create', '--bundle', dir, id]);
  t.equal(c.code, 0, `create: ${c.stderr}`);
  const added = newHostMounts(before, ['/']);
  const outside = added.filter((m) => !m.mountPoint.startsWith(rootfs + '/') && m.mountPoint !== rootfs);
  t.same(outside, [], 'every mount the runtime made in the host namespace is inside the rootfs');
  t.same(newHostMounts(before, [v, '/etc']), [], 'nothing mounted on the host directory the links name');
  const at = (p: string) => added.filter((m) => m.mountPoint === join(rootfs, v, p));
  t.equal(at('d').filter((m) => m.fstype === 'tmpfs').length, 3, 'the three tmpfs landed on the rootfs copy of the directory');
  t.equal(at('secret').length, 1, 'the bind landed on the rootfs copy of the file');
  t.equal(at('secret2').length, 1, 'the mask landed on the rootfs copy of the file');
  t.ok(
    at('ro').some((m) => m.options.includes('ro')),
    'the read-only bind is on the rootfs copy of the directory',
  );
  t.equal(readFileSync(join(v, 'secret'), 'utf8'), 'host-secret\n', 'the host file is not replaced by the bind');
  t.equal(readFileSync(join(v, 'secret2'), 'utf8'), 'host-secret2\n', 'the host file is not masked');
  t.same(readdirSync(v).sort(), victimBefore, 'the host directory is unchanged');
  writeFileSync(join(v, 'ro', 'still-writable'), 'x');
  t.pass('the host directory is still writable (not made read-only)');
  t.notOk(existsSync(join(v, 'missing')), 'the dangling link made nothing on the host');

  const d = await run(['delete', '--force', id]);
  t.equal(d.code, 0, `delete: ${d.stderr}`);
  t.same(newHostMounts(before, [dir, v]), [], 'delete removed every mount');
  t.same(readdirSync(root), [], 'nothing left in --root');
  hostNsHeld = c.code === 0 && outside.length === 0;
});

t.test("no mount namespace: rootfs/mnt -> /etc, masked and read-only links to /etc: the host's /etc is untouched", async (t) => {
  if (!hostNsHeld) {
    t.plan(0, 'the same attacks on a directory of the test were not shown safe: not aiming them at /etc');
    return;
  }
  const etcBefore = readdirSync('/etc').sort();
  const hostnameBefore = readFileSync('/etc/hostname', 'utf8');
  const passwdBefore = readFileSync('/etc/passwd', 'utf8');
  const before = hostMountinfo();
  const { dir, rootfs, run } = setup(t, (s) => {
    noMountNs(s);
    s.process!.args = ['sleep', '60'];
    s.mounts!.push({ destination: '/mnt/tsrun-sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    s.linux!.maskedPaths = ['/hostname-link', '/passwd-rel'];
    s.linux!.readonlyPaths = ['/ro-link'];
  });
  // rootfs/mnt -> /etc: the mount goes to a directory made in the rootfs's /etc.
  rmSync(join(rootfs, 'mnt'), { recursive: true, force: true });
  symlinkSync('/etc', join(rootfs, 'mnt'));
  symlinkSync('/etc/hostname', join(rootfs, 'hostname-link'));
  symlinkSync(dotdot('/etc/passwd'), join(rootfs, 'passwd-rel'));
  symlinkSync(dotdot('/etc'), join(rootfs, 'ro-link'));
  const id = uniqueId('etc');
  const c = await run(['run', '-d', '--bundle', dir, id]);
  t.equal(c.code, 0, `run -d: ${c.stderr}`);
  t.same(newHostMounts(before, ['/etc']), [], "nothing mounted on the host's /etc");
  const added = newHostMounts(before, [rootfs]).map((m) => m.mountPoint);
  t.ok(added.includes(join(rootfs, 'etc/tsrun-sub')), "the tmpfs is on a directory made in the rootfs's /etc");
  t.ok(added.includes(join(rootfs, 'etc/hostname')) && added.includes(join(rootfs, 'etc/passwd')), "the masks are on the rootfs's files");
  t.ok(added.includes(join(rootfs, 'etc')), "the read-only bind is on the rootfs's /etc");
  t.equal(readFileSync('/etc/hostname', 'utf8'), hostnameBefore, "the host's /etc/hostname is not masked");
  t.equal(readFileSync('/etc/passwd', 'utf8'), passwdBefore, "the host's /etc/passwd is not masked");
  t.notOk(existsSync('/etc/tsrun-sub'), "no directory made in the host's /etc");
  t.same(readdirSync('/etc').sort(), etcBefore, "the host's /etc is unchanged");
});

t.test('own mount namespace: masked and read-only paths through symlinks act on the rootfs, not the host files', async (t) => {
  const { dir, rootfs, run, spec } = setup(t, noTmp);
  const v = victim(t, rootfs);
  symlinkSync(join(v, 'secret'), join(rootfs, 'file-link'));
  symlinkSync(dotdot(join(v, 'ro')), join(rootfs, 'dir-link'));
  symlinkSync(join(v, 'missing'), join(rootfs, 'dangling'));
  spec.process!.args = ['sh', '-c', MOUNTINFO + `echo secret=$(cat ${v}/secret); echo secret2=$(cat ${v}/secret2); echo x > ${v}/ro/new; echo write=$?; ls /dangling; true`];
  spec.linux!.maskedPaths = ['/file-link', '/dangling'];
  spec.linux!.readonlyPaths = ['/dir-link'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  const r = await run(['run', '--bundle', dir, uniqueId('paths')]);
  t.equal(r.code, 0, `run: ${r.code}`);
  t.match(r.stdout, /^secret=$/m, "the rootfs's file the link names reads empty (masked)");
  t.match(r.stdout, /^secret2=rootfs-secret2$/m, 'the file next to it is the rootfs copy');
  t.notMatch(r.stdout, /host-secret/, 'no host file is shown');
  t.match(r.stdout, /^write=1$/m, "the rootfs's directory the link names is read-only");
  t.match(r.stderr, /Read-only file system/, 'EROFS');
  const ms = mountsOf(r.stdout);
  t.ok(
    ms.some((m) => m.mountPoint === join(v, 'secret')),
    'the mask is on the rootfs path',
  );
  t.ok(
    ms.some((m) => m.mountPoint === join(v, 'ro') && m.options.includes('ro')),
    'the read-only bind is on the rootfs path',
  );
  t.equal(readFileSync(join(v, 'secret'), 'utf8'), 'host-secret\n', 'the host file is unchanged');
  t.notOk(existsSync(join(v, 'ro', 'new')), 'nothing written to the host directory');
  t.notOk(existsSync(join(v, 'missing')), 'the dangling link made nothing on the host');
});

t.test('a bind mount whose destination is a symlink to a host file outside the rootfs', async (t) => {
  const src = tmpDir(t, 'tsrun-test-src-');
  writeFileSync(join(src, 'payload'), 'payload\n');
  const target = join(tmpDir(t, 'tsrun-test-target-'), 'file');
  writeFileSync(target, 'host-file\n');
  const passwdBefore = readFileSync('/etc/passwd', 'utf8');
  const before = hostMountinfo();
  const bind = (destination: string) => ({ destination, type: 'bind', source: join(src, 'payload'), options: ['bind'] });

  // To a host file the rootfs does not have: refused (nothing to mount on), or bound onto a new rootfs file.
  for (const [name, link] of [
    ['link-abs', target],
    ['link-rel', dotdot(target)],
  ] as const) {
    const { dir, rootfs, run } = setup(t, (s) => {
      s.process!.args = ['sh', '-c', MOUNTINFO];
      s.mounts!.push(bind(`/${name}`));
    });
    symlinkSync(link, join(rootfs, name));
    const r = await run(['run', '--bundle', dir, uniqueId('bindlink')]);
    t.comment(`${name} -> ${link}: ${r.code === 0 ? 'ran' : 'refused: ' + r.stderr.trim()}`);
    // The file is made inside the container's root: here under its /tmp, a tmpfs mounted before the bind.
    if (r.code === 0)
      t.ok(
        mountsOf(r.stdout).some((m) => m.mountPoint === target),
        'bound onto a file made inside the container root',
      );
    t.equal(readFileSync(target, 'utf8'), 'host-file\n', 'the host file the link names is unchanged');
  }

  // To a file the rootfs has too (/etc/passwd): the rootfs's one is covered.
  const { dir, rootfs, run } = setup(t, (s) => {
    s.process!.args = ['sh', '-c', MOUNTINFO + 'cat /etc/passwd'];
    s.mounts!.push(bind('/passwd-link'));
  });
  symlinkSync(dotdot('/etc/passwd'), join(rootfs, 'passwd-link'));
  const r = await run(['run', '--bundle', dir, uniqueId('bindpasswd')]);
  t.equal(r.code, 0, `run: ${r.stderr}`);
  t.match(r.stdout, /^payload$/m, "the container's /etc/passwd is the bound file");
  t.ok(
    mountsOf(r.stdout).some((m) => m.mountPoint === '/etc/passwd'),
    'mounted at the rootfs /etc/passwd',
  );
  t.equal(readFileSync('/etc/passwd', 'utf8'), passwdBefore, "the host's /etc/passwd is unchanged");
  t.same(newHostMounts(before, [target, '/etc', src]), [], 'no host mount');
});
