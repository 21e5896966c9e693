// tmpcopyup (a runc and crun mount extension): the tmpfs mounted over a
// directory starts with a copy of what the image had there, with modes,
// owners, symlinks, special files and xattrs, checked from inside (and from
// the host through /proc/PID/root for the xattrs).
import t from 'tap';
import { chownSync, chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { logMessages, makeBundle, stateRoot, uniqueId } from '../helpers.js';

/** Sets an xattr with python (Node has no xattr API). */
function setXattr(path: string, name: string, value: string): void {
  const r = spawnSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())', path, name, value]);
  if (r.status !== 0) throw new Error(`setxattr ${path}: ${r.stderr}`);
}
function getXattr(path: string, name: string): string {
  return spawnSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())', path, name], { encoding: 'utf8' }).stdout.trim();
}

t.test('/etc with tmpcopyup keeps passwd, group, hostname; modes, owners, symlinks, fifos and xattrs', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    s.mounts!.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'mode=755', 'nosuid'] });
  });
  const sub = join(rootfs, 'etc/sub');
  mkdirSync(sub);
  writeFileSync(join(sub, 'secret'), 'hi\n');
  chownSync(join(sub, 'secret'), 1000, 1001);
  chmodSync(join(sub, 'secret'), 0o4750);
  symlinkSync('../passwd', join(sub, 'link'));
  spawnSync('mkfifo', [join(sub, 'fifo')]);
  chmodSync(sub, 0o710);
  setXattr(join(sub, 'secret'), 'user.spec12', 'hello');
  setXattr(sub, 'trusted.spec12', 'dir');
  const id = uniqueId('spec12-copyup');
  const c = await run(['run', '-d', '--bundle', dir, id]);
  t.equal(c.code, 0, c.stderr);
  const pid = JSON.parse((await run(['state', id])).stdout).pid as number;
  const sh = (cmd: string) => run(['exec', id, 'sh', '-c', cmd]);
  t.match((await sh('grep " /etc " /proc/self/mountinfo')).stdout, / \/etc rw,nosuid\S*( \S+)* - tmpfs /, '/etc is the tmpfs');
  t.match((await sh('grep ^root: /etc/passwd')).stdout, /^root:x:0:0:/, 'passwd copied');
  t.match((await sh('grep -c . /etc/group')).stdout, /^[1-9]/, 'group copied');
  t.equal((await sh('cat /etc/hostname')).stdout, readFileSync(join(rootfs, 'etc/hostname'), 'utf8'), 'hostname copied');
  t.equal((await sh('stat -c "%a %u:%g %s" /etc/sub/secret')).stdout.trim(), '4750 1000:1001 3', 'a set-uid file: mode, owner, content');
  t.equal((await sh('stat -c "%a" /etc/sub')).stdout.trim(), '710', 'a directory keeps its mode');
  t.equal((await sh('readlink /etc/sub/link')).stdout.trim(), '../passwd', 'a symlink stays a symlink');
  t.equal((await sh('stat -c %F /etc/sub/fifo')).stdout.trim(), 'fifo', 'a fifo');
  t.equal(getXattr(`/proc/${pid}/root/etc/sub/secret`, 'user.spec12'), 'hello', 'a file xattr');
  t.equal(getXattr(`/proc/${pid}/root/etc/sub`, 'trusted.spec12'), 'dir', 'a directory xattr');
  t.equal((await sh('echo new > /etc/sub/new && echo ok')).stdout.trim(), 'ok', 'the tmpfs is writable');
  t.notOk(existsSync(join(sub, 'new')), 'and writes stay in the tmpfs, not the image');
});

t.test('tmpcopyup on anything but a tmpfs is refused before any side effect', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => s.mounts!.push({ destination: '/etc', type: 'bind', source: '/etc', options: ['rbind', 'tmpcopyup'] }));
  const id = uniqueId('spec12-copyup');
  const r = await run(['create', '--bundle', dir, id]);
  t.equal(r.code, 1);
  t.match(logMessages(r.stderr), /\/mounts\/\d+\/options: tmpcopyup needs a tmpfs mount/);
  t.notOk(existsSync(join(root, id)), 'no state directory');
});
