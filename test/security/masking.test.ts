// The default maskedPaths and readonlyPaths of bundles/busybox/config.json
// (Docker's list): what the kernel would tell a container through them stays
// hidden, what it would let a container change stays read-only, and the
// container (root, with the default capabilities) cannot undo either.
import t from 'tap';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { baseSpec, makeBundle, runScript, stateRoot, TOP, uniqueId } from '../helpers.js';

const CONFIG = JSON.parse(readFileSync(join(TOP, 'bundles/busybox/config.json'), 'utf8'));
const MASKED: string[] = CONFIG.linux.maskedPaths;
const READONLY: string[] = CONFIG.linux.readonlyPaths;

/** What the host has at p: a file with content, a directory with entries, or nothing to hide. */
function hostHas(p: string): 'dir' | 'file' | 'none' {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'none';
  }
}
function hostSize(p: string): number {
  try {
    return hostHas(p) === 'dir' ? readdirSync(p).length : readFileSync(p).length;
  } catch {
    return 0;
  }
}

/** One line per path: "P dir N" (entries), "P file N" (bytes read), "P none". */
const PROBE = (paths: string[]) =>
  `for p in ${paths.join(' ')}; do if [ -d $p ]; then echo "$p dir $(ls -A $p 2>/dev/null | wc -l)"; ` +
  'elif [ -e $p ]; then echo "$p file $(cat $p 2>/dev/null | wc -c)"; else echo "$p none"; fi; done';
function probed(out: string): Record<string, [string, number]> {
  const m: Record<string, [string, number]> = {};
  for (const l of out.split('\n')) {
    const x = /^(\/\S+) (dir|file|none)(?: (\d+))?$/.exec(l);
    if (x) m[x[1]!] = [x[2]!, Number(x[3] ?? 0)];
  }
  return m;
}

t.test('the busybox config masks and write-protects what Docker does', async (t) => {
  t.same(baseSpec().linux!.maskedPaths, MASKED, 'the test bundles keep the default maskedPaths');
  for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/acpi', '/proc/scsi']) {
    t.ok(MASKED.includes(p), `${p} is masked`);
  }
  for (const p of ['/proc/sys', '/proc/sysrq-trigger', '/proc/bus', '/proc/fs', '/proc/irq']) t.ok(READONLY.includes(p), `${p} is read-only`);
});

t.test('masked paths read empty or list nothing in the container', async (t) => {
  const shown = MASKED.filter((p) => hostSize(p) > 0);
  t.comment(`on this host, with something to hide: ${shown.join(' ')}; absent: ${MASKED.filter((p) => hostHas(p) === 'none').join(' ')}`);
  t.ok(shown.length >= 3, 'the host has something to hide (/proc/keys, /proc/timer_list, /sys/firmware)');
  const r = await runScript(t, PROBE([...MASKED, '/dev/core']));
  t.equal(r.code, 0, `run: ${r.stderr}`);
  const got = probed(r.stdout);
  for (const p of MASKED) {
    const host = hostHas(p);
    if (host === 'none') {
      t.equal(got[p]?.[0], 'none', `${p}: not on this host, not in the container`);
    } else {
      t.same(got[p], [host, 0], `${p}: ${host === 'dir' ? 'an empty directory' : 'reads empty'} (host: ${hostSize(p)})`);
    }
  }
  t.equal(got['/dev/core']?.[1] ?? 0, 0, '/dev/core (-> /proc/kcore) gives nothing');
  const unmasked = await runScript(t, PROBE(MASKED), (s) => (s.linux!.maskedPaths = []));
  const plain = probed(unmasked.stdout);
  for (const p of shown) t.not(plain[p]?.[1], 0, `${p} has content without the mask (the check above can fail)`);
});

t.test('read-only paths: /proc/sys, /proc/sysrq-trigger and the others refuse writes', async (t) => {
  const sysrq = existsSync('/proc/sysrq-trigger');
  const script = [
    'echo evil > /proc/sys/kernel/hostname; echo hostname=$?',
    'echo 1 > /proc/sys/net/ipv4/ip_forward; echo ip_forward=$?',
    'echo 1 > /proc/sys/kernel/domainname; echo domainname=$?',
    'echo h > /proc/sysrq-trigger; echo sysrq=$?',
    'touch /proc/fs/x /proc/bus/x /proc/irq/x 2>/dev/null; echo others=$?',
    'echo 1 > /proc/irq/default_smp_affinity; echo irq=$?',
    'cat /proc/sys/kernel/hostname',
    'grep -E " /proc/(sys|bus|fs|irq|sysrq-trigger) " /proc/self/mountinfo',
  ].join('; ');
  const r = await runScript(t, script);
  t.equal(r.code, 0, `run: ${r.code}`);
  for (const k of ['hostname', 'ip_forward', 'domainname', 'sysrq', 'others', 'irq']) t.match(r.stdout, new RegExp(`^${k}=1$`, 'm'), `writing ${k} fails`);
  t.match(r.stderr, /Read-only file system/, 'with EROFS');
  t.match(r.stdout, /^tsrun-busybox$/m, 'the hostname is unchanged');
  for (const p of ['/proc/sys', '/proc/bus', '/proc/fs', '/proc/irq', ...(sysrq ? ['/proc/sysrq-trigger'] : [])]) {
    t.match(r.stdout, new RegExp(` ${p} ro[, ]`), `${p} is a read-only mount`);
  }
  if (!sysrq) t.comment('this kernel has no /proc/sysrq-trigger: the write fails with nothing to protect');

  // Without readonlyPaths the same namespaced sysctl is writable: the check above can fail.
  const rw = await runScript(t, 'echo changed > /proc/sys/kernel/hostname; echo hostname=$?; hostname', (s) => (s.linux!.readonlyPaths = []));
  t.match(rw.stdout, /^hostname=0$/m, 'without readonlyPaths the uts sysctl is writable');
  t.match(rw.stdout, /^changed$/m);
});

t.test('the container cannot undo the masks or the read-only binds', async (t) => {
  const script = [
    'umount /proc/timer_list; echo umount_mask=$?',
    'umount -l /proc/keys; echo umount_lazy=$?',
    'umount /sys/firmware; echo umount_dir=$?',
    'mount -o remount,rw /proc/sys; echo remount_sys=$?',
    'umount /proc/sys; echo umount_sys=$?',
    'mkdir -p /tmp/p && mount -t proc proc /tmp/p; echo newproc=$?',
    'mount -t sysfs sysfs /tmp/p; echo newsys=$?',
    'mount --bind /proc /tmp/p; echo bindproc=$?',
    'echo timer_list=$(cat /proc/timer_list /proc/1/root/proc/timer_list /proc/self/root/proc/timer_list /tmp/p/timer_list 2>/dev/null | wc -c)',
    'echo keys=$(cat /proc/keys 2>/dev/null | wc -c)',
    'echo firmware=$(ls -A /sys/firmware | wc -l)',
    'echo 1 > /proc/sys/kernel/domainname; echo domainname=$?',
  ].join('; ');
  const r = await runScript(t, script);
  t.equal(r.code, 0, `run: ${r.code}`);
  for (const k of ['umount_mask', 'umount_lazy', 'umount_dir', 'remount_sys', 'umount_sys', 'newproc', 'newsys', 'bindproc']) {
    t.notMatch(r.stdout, new RegExp(`^${k}=0$`, 'm'), `${k} refused`);
  }
  t.match(r.stdout, /^timer_list=0$/m, '/proc/timer_list still reads empty, by any path');
  t.match(r.stdout, /^keys=0$/m, '/proc/keys still reads empty');
  t.match(r.stdout, /^firmware=0$/m, '/sys/firmware still empty');
  t.match(r.stdout, /^domainname=1$/m, '/proc/sys still read-only');
});

t.test('the same holds for a process started with tsrun exec, and for a non-root user', async (t) => {
  const paths = ['/proc/timer_list', '/proc/keys', '/sys/firmware'].filter((p) => hostHas(p) !== 'none');
  const probe = `${PROBE(paths)}; echo 1 > /proc/sys/kernel/domainname; echo domainname=$?`;
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '60']));
  const id = uniqueId('mask');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0, 'run -d');
  for (const user of [[], ['--user', '1000:1000']]) {
    const r = await run(['exec', ...user, id, 'sh', '-c', probe]);
    const who = user.length ? 'exec as uid 1000' : 'exec';
    t.equal(r.code, 0, `${who}: ${r.stderr}`);
    const got = probed(r.stdout);
    for (const p of paths) t.equal(got[p]?.[1], 0, `${who}: ${p} empty`);
    t.match(r.stdout, /^domainname=1$/m, `${who}: /proc/sys not writable`);
  }
});
