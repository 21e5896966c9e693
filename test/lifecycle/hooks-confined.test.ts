// Hooks that run in the container (issue 13, section 2 item 11): a
// createContainer hook works from the container's root, not the host's /;
// a startContainer hook runs under the container's seccomp filter; neither
// inherits the executor's sync socket.
import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, uniqueId } from '../helpers.js';

t.test('createContainer: cwd is the container root, and only stdio is open', async (t) => {
  const { run } = stateRoot(t);
  const tag = uniqueId('integ2-hookcwd');
  // Before the fix these landed in the host's /: clean up there too.
  t.teardown(() => rmSync(`/${tag}`, { force: true }));
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.root!.readonly = false;
    s.process!.args = ['true'];
    s.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `{ pwd; ls /proc/self/fd | wc -l; } > ${tag}`] }] };
  });
  const r = await run(['run', '--bundle', dir, uniqueId('integ2-hookcwd-c')]);
  t.equal(r.code, 0, r.stderr);
  t.notOk(existsSync(`/${tag}`), "the hook's relative write did not land in the host's /");
  t.ok(existsSync(join(rootfs, tag)), 'it landed in the container root');
  const [cwd, fds] = existsSync(join(rootfs, tag)) ? readFileSync(join(rootfs, tag), 'utf8').split('\n') : [];
  t.equal(cwd, rootfs, 'the hook ran from the container root');
  t.equal(fds, '4', 'ls sees 0, 1, 2 and its own directory fd: nothing inherited');
});

t.test('startContainer: the container seccomp filter applies to the hook', async (t) => {
  const { run } = stateRoot(t);
  const tag = uniqueId('integ2-hooksec');
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.root!.readonly = false;
    s.process!.args = ['true'];
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
    s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', `mkdir /${tag}-d && echo made > /${tag} || echo refused > /${tag}`] }] };
  });
  const r = await run(['run', '--bundle', dir, uniqueId('integ2-hooksec-c')]);
  t.equal(r.code, 0, r.stderr);
  t.equal(readFileSync(join(rootfs, tag), 'utf8'), 'refused\n', 'mkdir was refused by the filter');
  t.notOk(existsSync(join(rootfs, `${tag}-d`)));
});
