// Capabilities as the kernel reports them (/proc/PID/status): the five sets
// of a created init (the executor, waiting for start, with exactly the
// configured sets) and of the process after execve (the kernel's
// transformation of them), for root with and without no_new_privs, for a
// non-root user, and through exec; what happens with an ambient capability
// the kernel will not raise, an unknown name, and one the host's bounding
// set lacks; and that the waiting init is not dumpable.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsNamed, makeBundle, stateRoot, uniqueId, waitFor } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';
import { statusFields, tmpDir } from './lib.js';

type Caps = NonNullable<NonNullable<Spec['process']>['capabilities']>;

// linux/capability.h, spelled out here rather than taken from src/.
const CAP: Record<string, number> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_FOWNER: 3,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_RAW: 13,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_RESOURCE: 24,
  CAP_AUDIT_WRITE: 29,
};
const mask = (names: string[] = []) => names.reduce((m, n) => m | (1n << BigInt(CAP[n]!)), 0n);
const hex = (m: bigint) => m.toString(16).padStart(16, '0');
const HOST_BND = BigInt('0x' + /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
const SETS = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'] as const;
const CAPS_OF = 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status';

/** The sets after execve of a file without capabilities, as commoncap computes them. */
function afterExec(c: Caps, uid: number, nnp: boolean): Record<(typeof SETS)[number], string> {
  const [bnd, prm, inh, amb] = [mask(c.bounding), mask(c.permitted), mask(c.inheritable), mask(c.ambient)];
  let p: bigint;
  if (uid === 0) {
    // Root: pP' = bounding | inheritable; no_new_privs keeps it within the old pP.
    p = bnd | inh;
    if (nnp) p &= prm;
    p |= amb;
  } else {
    p = amb;
  }
  return { CapInh: hex(inh), CapPrm: hex(p), CapEff: hex(p), CapBnd: hex(bnd), CapAmb: hex(amb) };
}

/** The sets as configured: what the waiting init holds before execve. */
function configured(c: Caps): Record<(typeof SETS)[number], string> {
  return { CapInh: hex(mask(c.inheritable)), CapPrm: hex(mask(c.permitted)), CapEff: hex(mask(c.effective)), CapBnd: hex(mask(c.bounding)), CapAmb: hex(mask(c.ambient)) };
}

const pick = (st: Record<string, string>) => Object.fromEntries(SETS.map((k) => [k, st[k]]));

const WIDE: Caps = {
  bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SETUID', 'CAP_SETGID', 'CAP_NET_BIND_SERVICE'],
  permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
  effective: ['CAP_CHOWN', 'CAP_KILL'],
  inheritable: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID'], // within bounding, or capset refuses (EPERM)
  ambient: ['CAP_CHOWN', 'CAP_KILL'],
};

const CASES: { name: string; uid: number; nnp: boolean }[] = [
  { name: 'root, no_new_privs off', uid: 0, nnp: false },
  { name: 'root, no_new_privs on', uid: 0, nnp: true },
  { name: 'uid 1000, no_new_privs off', uid: 1000, nnp: false },
  { name: 'uid 1000, no_new_privs on', uid: 1000, nnp: true },
];

t.test('the five sets: configured in the waiting init, transformed by execve, the same through exec', async (t) => {
  for (const c of CASES) {
    const { run } = stateRoot(t);
    const { dir } = makeBundle(t, (s) => {
      s.process!.args = ['sh', '-c', CAPS_OF + '; sleep 30'];
      s.process!.user = { uid: c.uid, gid: c.uid };
      s.process!.noNewPrivileges = c.nnp;
      s.process!.capabilities = WIDE;
    });
    const id = uniqueId('caps');
    const cr = await run(['create', '--bundle', dir, id]);
    t.equal(cr.code, 0, `${c.name}: create: ${cr.stderr}`);
    const pid = JSON.parse((await run(['state', id])).stdout).pid as number;
    const init = statusFields(readFileSync(`/proc/${pid}/status`, 'utf8'));
    t.same(pick(init), configured(WIDE), `${c.name}: the created init holds the configured sets`);
    t.equal(init.Uid?.split(/\s+/)[0], String(c.uid), `${c.name}: and already the configured uid`);
    t.equal(init.NoNewPrivs, c.nnp ? '1' : '0', `${c.name}: and no_new_privs`);

    t.equal((await run(['start', id])).code, 0, `${c.name}: start`);
    await waitFor(() => /CapInh/.test(readFileSync(`/proc/${pid}/status`, 'utf8')) && !/tsrun-executor/.test(readlinkQuiet(pid)), 3000);
    const after = statusFields(readFileSync(`/proc/${pid}/status`, 'utf8'));
    t.same(pick(after), afterExec(WIDE, c.uid, c.nnp), `${c.name}: after execve`);

    const e = await run(['exec', id, 'sh', '-c', CAPS_OF]);
    t.equal(e.code, 0, `${c.name}: exec: ${e.stderr}`);
    t.same(pick(statusFields(e.stdout)), afterExec(WIDE, c.uid, c.nnp), `${c.name}: an exec'd process gets the same sets`);
  }
});

function readlinkQuiet(pid: number): string {
  try {
    return spawnSync('readlink', [`/proc/${pid}/exe`], { encoding: 'utf8' }).stdout;
  } catch {
    return '';
  }
}

t.test('exec --cap adds to bounding, effective and permitted, never beyond the host', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '30']));
  const id = uniqueId('execcap');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0, 'run -d');
  const e = await run(['exec', '--cap', 'CAP_NET_RAW', id, 'sh', '-c', CAPS_OF]);
  t.equal(e.code, 0, `exec: ${e.stderr}`);
  const base = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'];
  const st = statusFields(e.stdout);
  t.equal(st.CapBnd, hex(mask(base)), 'CapBnd has the added capability');
  t.equal(st.CapEff, hex(mask(base)), 'CapEff too');
  t.equal(st.CapAmb, hex(0n), 'nothing ambient');
});

t.test('an ambient capability not in inheritable (or not in permitted) is not raised', async (t) => {
  const variants: { name: string; caps: Caps }[] = [
    { name: 'not inheritable', caps: { bounding: ['CAP_KILL'], permitted: ['CAP_KILL'], effective: ['CAP_KILL'], inheritable: [], ambient: ['CAP_KILL'] } },
    { name: 'not permitted', caps: { bounding: ['CAP_KILL'], permitted: [], effective: [], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] } },
  ];
  for (const v of variants) {
    for (const uid of [0, 1000]) {
      const { root, run } = stateRoot(t);
      const { dir } = makeBundle(t, (s) => {
        s.process!.args = ['sh', '-c', CAPS_OF];
        s.process!.user = { uid, gid: uid };
        s.process!.capabilities = v.caps;
      });
      const id = uniqueId('amb');
      const r = await run(['run', '--bundle', dir, id]);
      const what = `${v.name}, uid ${uid}`;
      // As runc 1.2: the container starts without it, and a warning names it.
      t.equal(r.code, 0, `${what}: started`);
      t.equal(statusFields(r.stdout).CapAmb, hex(0n), `${what}: CapAmb empty`);
      t.match(r.stderr, /ambient: CAP_KILL not in both permitted and inheritable/, `${what}: warned`);
      t.same(readdirSync(root), [], `${what}: nothing left in --root`);
      t.same(cgroupDirsNamed(id), [], `${what}: no cgroup left`);
    }
  }
});

t.test('an unknown capability name is refused before anything is created', async (t) => {
  for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) {
    const { root, run } = stateRoot(t);
    const { dir } = makeBundle(t, (s) => {
      s.process!.args = ['sh', '-c', 'echo RAN'];
      s.process!.capabilities = { ...s.process!.capabilities, [set]: ['CAP_KILL', 'CAP_NO_SUCH_THING'] };
    });
    for (const cmd of ['create', 'run']) {
      const id = uniqueId('unk');
      const r = await run([cmd, '--bundle', dir, id]);
      t.not(r.code, 0, `${cmd}, ${set}: refused`);
      t.match(r.stderr, /CAP_NO_SUCH_THING/, `${cmd}, ${set}: the error names it`);
      t.notMatch(r.stdout, /RAN/, `${cmd}, ${set}: nothing ran`);
      t.same(readdirSync(root), [], `${cmd}, ${set}: nothing in --root`);
      t.same(cgroupDirsNamed(id), [], `${cmd}, ${set}: no cgroup`);
    }
  }
});

t.test('exec: an unknown capability name (--cap, or in --process) is refused', {}, async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '30']));
  const id = uniqueId('unkexec');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0, 'run -d');
  const e = await run(['exec', '--cap', 'CAP_NO_SUCH_THING', id, 'sh', '-c', 'echo RAN']);
  t.not(e.code, 0, 'exec --cap CAP_NO_SUCH_THING refused');
  t.match(e.stderr, /CAP_NO_SUCH_THING/, 'the error names it');
  t.notMatch(e.stdout, /RAN/, 'nothing ran');
  const proc = join(tmpDir(t), 'process.json');
  writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'echo RAN'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_NO_SUCH_THING'] } }));
  const p = await run(['exec', '-p', proc, id]);
  t.not(p.code, 0, 'exec -p with CAP_NO_SUCH_THING refused');
  t.match(p.stderr, /CAP_NO_SUCH_THING/, 'the error names it');
  t.notMatch(p.stdout, /RAN/, 'nothing ran');
});

const HOST_HAS_SYS_RESOURCE = (HOST_BND & mask(['CAP_SYS_RESOURCE'])) !== 0n;

t.test("CAP_SYS_RESOURCE (not in the host's bounding set) is left out with a warning", { skip: HOST_HAS_SYS_RESOURCE && 'this host has CAP_SYS_RESOURCE in its bounding set' }, async (t) => {
  const want = ['CAP_KILL', 'CAP_SYS_RESOURCE'];
  const caps: Caps = { bounding: want, permitted: want, effective: want, inheritable: want, ambient: want };
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', CAPS_OF];
    s.process!.capabilities = caps;
  });
  const r = await run(['run', '--bundle', dir, uniqueId('sysres')]);
  t.equal(r.code, 0, `the container runs: ${r.stderr}`);
  const warnings = r.stderr.split('\n').filter((l) => /warn/i.test(l) && /CAP_SYS_RESOURCE/.test(l));
  t.equal(warnings.length, 5, 'one warning per set, naming it');
  const st = statusFields(r.stdout);
  for (const k of SETS) t.equal(BigInt('0x' + st[k]) & mask(['CAP_SYS_RESOURCE']), 0n, `${k} lacks CAP_SYS_RESOURCE`);
  t.equal(st.CapBnd, hex(mask(['CAP_KILL'])), 'CapBnd is the rest');
  t.equal(st.CapAmb, hex(mask(['CAP_KILL'])), 'CapAmb is the rest');
});

t.test('the waiting init is not dumpable: its /proc entries are closed to its own uid until it execs', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '30'];
    s.process!.user = { uid: 1000, gid: 1000 };
    s.process!.env = [...(s.process!.env ?? []), 'SECRET=in-the-environment'];
  });
  spawnSync('chmod', ['755', rootfs]);
  const id = uniqueId('dump');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0, 'create');
  const pid = JSON.parse((await run(['state', id])).stdout).pid as number;
  const asUser = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { uid: 1000, gid: 1000, encoding: 'utf8' });
  t.equal(statusFields(readFileSync(`/proc/${pid}/status`, 'utf8')).Uid?.split(/\s+/)[0], '1000', 'the init already runs as uid 1000');
  // /proc/PID itself always shows the euid; its private entries show root while the task is not dumpable.
  const owner = () => spawnSync('stat', ['-c', '%u', `/proc/${pid}/environ`], { encoding: 'utf8' }).stdout.trim();
  t.equal(owner(), '0', '/proc/PID/environ belongs to root (not dumpable)');
  for (const f of ['environ', 'exe', 'cwd', 'root', 'fd']) {
    const r = f === 'environ' ? asUser('cat', `/proc/${pid}/environ`) : f === 'fd' ? asUser('ls', `/proc/${pid}/fd`) : asUser('readlink', `/proc/${pid}/${f}`);
    t.not(r.status, 0, `uid 1000 cannot read /proc/PID/${f} of the created init: ${r.stderr.trim()}`);
  }
  t.equal((await run(['start', id])).code, 0, 'start');
  t.ok(await waitFor(() => owner() === '1000', 3000), 'after execve /proc/PID/environ belongs to uid 1000 (dumpable again): the check above can fail');
  const env = asUser('cat', `/proc/${pid}/environ`);
  t.equal(env.status, 0, 'and uid 1000 can read its environ');
  t.match(env.stdout, /SECRET=in-the-environment/);
  t.ok(existsSync(`/proc/${pid}`), 'the container still runs');
});
