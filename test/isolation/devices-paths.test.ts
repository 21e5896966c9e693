// /dev as the container sees it (default devices, symlinks, linux.devices),
// maskedPaths, readonlyPaths, hostname/domainname and linux.sysctl.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { runScript, stateRoot, makeBundle, uniqueId } from '../helpers.js';

/** stat line per path: "path|type|major(hex)|minor(hex)|mode(octal)|uid|gid". */
const STAT = (paths: string[]) => `stat -c '%n|%F|%t|%T|%a|%u|%g' ${paths.join(' ')}`;
function stats(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .split('\n')
      .filter((l) => /^\/[^|]*\|/.test(l))
      .map((l) => [l.slice(0, l.indexOf('|')), l.slice(l.indexOf('|') + 1)]),
  );
}

t.test('the default devices: type, numbers, mode and owner; and they work', async (t) => {
  const devs = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'];
  const r = await runScript(
    t,
    STAT(devs) + '; echo discard > /dev/null && echo null-ok; head -c 5 /dev/zero | od -An -tx1; ' + 'echo x 2>&1 > /dev/full; echo full=$?; echo urandom=$(head -c 16 /dev/urandom | wc -c)',
  );
  t.equal(r.code, 0, r.stderr);
  const s = stats(r.stdout);
  const want: Record<string, string> = {
    '/dev/null': '1|3',
    '/dev/zero': '1|5',
    '/dev/full': '1|7',
    '/dev/random': '1|8',
    '/dev/urandom': '1|9',
    '/dev/tty': '5|0',
  };
  for (const [p, nums] of Object.entries(want)) t.equal(s[p], `character special file|${nums}|666|0|0`, p);
  t.match(r.stdout, /^null-ok$/m, '/dev/null takes writes');
  t.match(r.stdout, /^ 00 00 00 00 00$/m, '/dev/zero reads zeros');
  t.match(r.stdout, /No space left on device/, '/dev/full is full');
  t.match(r.stdout, /^full=1$/m);
  t.match(r.stdout, /^urandom=16$/m, '/dev/urandom reads');
});

t.test('the /dev symlinks', async (t) => {
  const links = ['fd', 'stdin', 'stdout', 'stderr', 'ptmx'];
  const r = await runScript(t, links.map((l) => `echo ${l}=$(readlink /dev/${l})`).join('; ') + '; ls /dev/fd/ | tr "\\n" " "');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^fd=\/proc\/self\/fd$/m);
  t.match(r.stdout, /^stdin=\/proc\/self\/fd\/0$/m);
  t.match(r.stdout, /^stdout=\/proc\/self\/fd\/1$/m);
  t.match(r.stdout, /^stderr=\/proc\/self\/fd\/2$/m);
  t.match(r.stdout, /^ptmx=pts\/ptmx$/m);
  t.match(r.stdout, /^0 1 2 3 $/m, '/dev/fd resolves to the process fds');
});

const hostKcore = existsSync('/proc/kcore');
t.test('/dev/core -> /proc/kcore only when the kernel has /proc/kcore (as runc)', {}, async (t) => {
  const r = await runScript(t, 'readlink /dev/core || echo no-core');
  t.equal(r.stdout, hostKcore ? '/proc/kcore\n' : 'no-core\n');
});

t.test('linux.devices: type, major/minor, fileMode, uid and gid as configured, and usable', async (t) => {
  const r = await runScript(t, STAT(['/dev/mydev', '/dev/sub/blk', '/dev/myfifo', '/dev/bignum', '/dev/opennull']) + '; echo x > /dev/opennull && echo opennull-ok', (s) => {
    s.linux!.devices = [
      { path: '/dev/mydev', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1001 },
      { path: '/dev/sub/blk', type: 'b', major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 6 },
      { path: '/dev/myfifo', type: 'p', fileMode: 0o620 },
      { path: '/dev/bignum', type: 'c', major: 10, minor: 200, fileMode: 0o604, uid: 2, gid: 3 },
      { path: '/dev/opennull', type: 'c', major: 1, minor: 3, fileMode: 0o666 },
    ];
  });
  t.equal(r.code, 0, r.stderr);
  const s = stats(r.stdout);
  t.equal(s['/dev/mydev'], 'character special file|1|3|640|1000|1001');
  t.equal(s['/dev/sub/blk'], 'block special file|7|0|600|0|6', 'parent directories are created');
  t.equal(s['/dev/myfifo'], 'fifo|0|0|620|0|0');
  t.equal(s['/dev/bignum'], 'character special file|a|c8|604|2|3', 'stat prints the numbers in hex');
  t.match(r.stdout, /^opennull-ok$/m, 'a listed device can be opened under a deny-all device cgroup');
});

t.test('maskedPaths: files read empty, directories are empty and read-only', async (t) => {
  // /proc/kcore is not there on this kernel; /proc/timer_list and /sys/firmware are.
  const hostTimerList = readFileSync('/proc/timer_list', 'utf8').length;
  const hostFirmware = readdirSync('/sys/firmware').length;
  t.ok(hostTimerList > 0 && hostFirmware > 0, 'the host has something to mask');
  const script =
    'echo timer_list=$(cat /proc/timer_list | wc -c); echo firmware=$(ls -A /sys/firmware | wc -l); ' +
    'echo hostname_file=$(cat /etc/hostname | wc -c); echo home=$(ls -A /home | wc -l); touch /home/x 2>&1; ' +
    'echo kcore=$(cat /proc/kcore 2>/dev/null | wc -c)';
  const masked = await runScript(t, script, (s) => {
    s.linux!.maskedPaths!.push('/etc/hostname', '/home', '/does/not/exist');
  });
  t.equal(masked.code, 0, masked.stderr);
  t.match(masked.stdout, /^timer_list=0$/m, '/proc/timer_list reads empty');
  t.match(masked.stdout, /^firmware=0$/m, '/sys/firmware is empty');
  t.match(masked.stdout, /^hostname_file=0$/m, 'a file of the rootfs is masked too');
  t.match(masked.stdout, /^home=0$/m);
  t.match(masked.stdout, /Read-only file system/, 'a masked directory is read-only');
  t.match(masked.stdout, /^kcore=0$/m, '/proc/kcore gives nothing');

  const plain = await runScript(t, script, (s) => (s.linux!.maskedPaths = []));
  t.equal(plain.code, 0, plain.stderr);
  t.notMatch(plain.stdout, /^timer_list=0$/m, 'unmasked, /proc/timer_list has content');
  t.notMatch(plain.stdout, /^firmware=0$/m, 'unmasked, /sys/firmware has entries');
  t.notMatch(plain.stdout, /^hostname_file=0$/m);
});

t.test('readonlyPaths: writes fail with EROFS; other paths stay writable', async (t) => {
  const script = 'echo 123456 > /proc/sys/kernel/shmmax; echo shmmax=$?; touch /home/x; echo home=$?; touch /root/x; echo root=$?; ' + 'grep -E " /proc/sys | /home " /proc/self/mountinfo';
  const ro = await runScript(t, script, (s) => s.linux!.readonlyPaths!.push('/home', '/not/there'));
  t.equal(ro.code, 0, ro.stderr);
  t.match(ro.stdout, /^shmmax=1$/m, 'writing under /proc/sys fails');
  t.match(ro.stderr, /Read-only file system/);
  t.match(ro.stdout, /^home=1$/m, 'a rootfs directory made read-only');
  t.match(ro.stdout, /^root=0$/m, 'a directory not listed stays writable');
  t.match(ro.stdout, / \/proc\/sys ro[, ]/, '/proc/sys is a ro mount');
  t.match(ro.stdout, / \/home ro[, ]/, '/home is a ro mount');

  const rw = await runScript(t, script + '; cat /proc/sys/kernel/shmmax', (s) => (s.linux!.readonlyPaths = []));
  t.equal(rw.code, 0, rw.stderr);
  t.match(rw.stdout, /^shmmax=0$/m, 'without readonlyPaths the ipc sysctl is writable');
  t.match(rw.stdout, /^123456$/m);
  t.match(rw.stdout, /^home=0$/m);
});

t.test('hostname and domainname are set in the uts namespace, not on the host', async (t) => {
  const hostDomain = readFileSync('/proc/sys/kernel/domainname', 'utf8');
  const r = await runScript(t, 'hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname', (s) => {
    s.hostname = 'box-name';
    s.domainname = 'box.example';
  });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'box-name\nbox-name\nbox.example\n');
  t.not(hostname(), 'box-name', 'host hostname unchanged');
  t.equal(readFileSync('/proc/sys/kernel/domainname', 'utf8'), hostDomain, 'host domainname unchanged');
});

t.test('linux.sysctl: ipc sysctls are set inside, the host keeps its values', async (t) => {
  const hostShmmax = readFileSync('/proc/sys/kernel/shmmax', 'utf8');
  const hostMsgMax = readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8');
  const r = await runScript(t, 'cat /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max', (s) => {
    s.linux!.sysctl = { 'kernel.shmmax': '123456789', 'fs.mqueue.msg_max': '42' };
  });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '123456789\n42\n');
  t.equal(readFileSync('/proc/sys/kernel/shmmax', 'utf8'), hostShmmax);
  t.equal(readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8'), hostMsgMax);
});

t.test('linux.sysctl: net.* sysctls are set in the network namespace', async (t) => {
  const hostForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const want = hostForward.trim() === '1' ? '0' : '1';
  const r = await runScript(t, 'cat /proc/sys/net/ipv4/ip_forward', (s) => {
    s.linux!.sysctl = { 'net.ipv4.ip_forward': want };
  });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${want}\n`);
  t.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostForward, 'host value unchanged');
});

t.test('linux.sysctl: a sysctl that is not namespaced, or whose namespace is shared, is refused', async (t) => {
  const { root, run } = stateRoot(t);
  const a = makeBundle(t, (s) => (s.linux!.sysctl = { 'kernel.panic': '1' }));
  const r = await run(['create', '--bundle', a.dir, uniqueId('sysctl-host')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /kernel\.panic/, 'the error names the sysctl');
  const b = makeBundle(t, (s) => {
    s.linux!.sysctl = { 'kernel.shmmax': '1' };
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'ipc');
  });
  const r2 = await run(['create', '--bundle', b.dir, uniqueId('sysctl-nons')]);
  t.equal(r2.code, 1);
  t.match(r2.stderr, /kernel\.shmmax.*ipc/, 'the error names the sysctl and the namespace it needs');
  t.same(readdirSync(root), [], 'nothing created');
});
