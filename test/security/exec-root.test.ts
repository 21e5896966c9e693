// `tsrun exec` must put the new process in the container's root in every
// configuration: own mount namespace (pivot_root), --no-pivot (MS_MOVE +
// chroot), and no mount namespace at all (the init chroots in the host's
// namespace; an exec'd process that only joined namespaces would keep the
// host's root, and the container could read host files through
// /proc/<its pid>/root).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, uniqueId, unmountBelow } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';

const noMountNs = (s: Spec) => {
  s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
  // The /tmp tmpfs would be mounted on the host (over rootfs/tmp): not needed here.
  s.mounts = s.mounts!.filter((m) => m.destination !== '/tmp');
};

const configs: [string, (s: Spec) => void, string[]][] = [
  ['own mount namespace', () => {}, []],
  ['own mount namespace, --no-pivot', () => {}, ['--no-pivot']],
  ['no mount namespace', noMountNs, []],
];

for (const [name, edit, createFlags] of configs) {
  t.test(`exec runs in the container's root: ${name}`, async (t) => {
    const { dir, rootfs } = makeBundle(t, (s) => {
      edit(s);
      s.process!.args = ['sleep', '60'];
    });
    t.teardown(() => unmountBelow(dir));
    const { run } = stateRoot(t);
    writeFileSync(join(rootfs, 'marker'), 'in-the-rootfs\n');
    const hostOnly = join(dir, 'config.json'); // on the host, not in the rootfs
    const id = uniqueId('execroot');
    const c = await run(['run', '-d', ...createFlags, '--bundle', dir, id]);
    t.equal(c.code, 0, `run -d: ${c.stderr}`);
    const r = await run(['exec', id, 'sh', '-c', `cat /marker; cat /proc/self/root/marker; test -e ${hostOnly} && echo HOST-ROOT; test -e /proc/self/root${hostOnly} && echo HOST-VIA-PROC; true`]);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'in-the-rootfs\nin-the-rootfs\n', "the exec'd process sees the rootfs as /, and no host file through its /proc root");
    // A detached exec'd process, seen from the init's side of the container.
    const d = await run(['exec', '-d', id, 'sleep', '30']);
    t.equal(d.code, 0, d.stderr);
    const seen = await run(['exec', id, 'sh', '-c', `for p in /proc/[0-9]*; do test -e $p/root${hostOnly} && echo "HOST-VIA $p"; done; true`]);
    t.equal(seen.stdout, '', 'no process of the container has the host as its root');
  });
}
