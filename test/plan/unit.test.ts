// The plan builder is pure: config + context (with injected host facts) ->
// ops. These tests build plans for a fake host, without root, without
// touching the kernel, and assert the steps a plan holds and their order.
// What the steps do to a real container is tested from outside elsewhere.
import t from 'tap';
import { buildPlan, describePlan, type Plan } from '../../src/plan/build.js';
import type { HostFacts, PlanContext } from '../../src/plan/context.js';
import { CLONE } from '../../src/linux/constants.js';
import { TsrunError } from '../../src/errors.js';
import type { Spec } from '../../src/spec/types.js';
import { baseSpec } from '../helpers.js';

const ROOTFS = '/fake/bundle/rootfs';

/** A host that has whatever a test says, and nothing on disk: pathKind answers from a table. */
function fakeHost(over: Partial<HostFacts> = {}, paths: Record<string, 'dir' | 'file'> = {}): HostFacts {
  const kinds: Record<string, 'dir' | 'file'> = { [ROOTFS]: 'dir', '/proc/kcore': 'file', ...paths };
  return {
    capLastCap: 40,
    boundingSet: (1n << 41n) - 1n,
    nofileHard: 1 << 20,
    stackSoft: 8 << 20,
    pathKind: (p) => kinds[p],
    mountPointOf: () => '/',
    procSysMounts: () => ['/proc', '/sys'],
    cgroup: { mode: 'v2', sources: [{ name: '', data: '', hostDir: '/sys/fs/cgroup/fake' }] },
    lsm: { apparmor: false, selinux: false, apparmorExecAttr: '/proc/self/attr/apparmor/exec' },
    ...over,
  };
}

function context(host: HostFacts, over: Partial<PlanContext> = {}): PlanContext {
  return { id: 'unit', bundle: '/fake/bundle', rootfs: ROOTFS, fifoPath: '/fake/state/exec.fifo', mode: 'create', noPivot: false, preserveFds: 0, host, ...over };
}

/** The plan's steps as [OPCODE name, description], from the same table `create --dry-run` prints. */
function steps(plan: Plan): [string, string][] {
  return describePlan(plan)
    .split('\n')
    .map((l) => /^\s*\d+\s+\S+\s+(\S+)\s+(.*)$/.exec(l)!)
    .map((m) => [m[1]!, m[2]!]);
}

function build(edit: (s: Spec) => void = () => {}, host = fakeHost(), over: Partial<PlanContext> = {}): { plan: Plan; steps: [string, string][]; ms: number } {
  const spec = baseSpec();
  edit(spec);
  const start = performance.now();
  const plan = buildPlan(spec, context(host, over));
  return { plan, steps: steps(plan), ms: performance.now() - start };
}

const has = (s: [string, string][], name: string, what: RegExp) => s.some(([n, w]) => n === name && what.test(w));
const indexOf = (s: [string, string][], name: string) => s.findIndex(([n]) => n === name);

t.test('the default config: namespaces in the clone, /proc mounted, paths masked, pivot_root, exec last', async (t) => {
  const { plan, steps: s, ms } = build();
  t.ok(ms < 200, `built in ${ms.toFixed(1)} ms`);
  const clone = plan.ops[plan.cloneIndex]!;
  const flags = Number(clone.args[0]);
  for (const ns of ['NEWPID', 'NEWNS', 'NEWIPC', 'NEWUTS', 'NEWNET'] as const) t.ok(flags & CLONE[ns], `clone flags have CLONE_${ns}`);
  t.notOk(flags & CLONE.NEWUSER, 'no user namespace unless the config asks');
  t.ok(has(s, 'MOUNT', /proc on \/proc\b/), 'proc is mounted on /proc');
  const spec = baseSpec();
  for (const p of spec.linux!.maskedPaths!) t.ok(has(s, 'MASK_PATH', new RegExp(p.replace(/[/.]/g, '\\$&'))), `${p} is masked`);
  for (const p of spec.linux!.readonlyPaths!) t.ok(has(s, 'READONLY_PATH', new RegExp(p.replace(/[/.]/g, '\\$&'))), `${p} is read-only`);
  t.ok(indexOf(s, 'PIVOT_ROOT') > plan.cloneIndex, 'pivot_root, in the init');
  t.equal(indexOf(s, 'MOVE_ROOT'), -1, 'no MS_MOVE without --no-pivot');
  t.ok(indexOf(s, 'SECCOMP') === -1 || indexOf(s, 'SECCOMP') < indexOf(s, 'EXEC'), 'seccomp (if any) before exec');
  t.equal(s.at(-1)![0], 'EXEC', 'exec is the last step');
  t.ok(indexOf(s, 'WAIT_START') < indexOf(s, 'EXEC'), 'create mode waits on the exec fifo before exec');
  t.ok(has(s, 'SETHOSTNAME', new RegExp(spec.hostname ?? '')), 'the hostname is set');
  t.same(plan.hostMounts, false, 'a mount namespace of its own: nothing to unmount on the host at delete');
});

t.test('--no-pivot moves the root instead', async (t) => {
  const { steps: s } = build(undefined, fakeHost(), { noPivot: true });
  t.equal(indexOf(s, 'PIVOT_ROOT'), -1);
  t.ok(indexOf(s, 'MOVE_ROOT') > 0);
});

t.test('without a mount namespace the init chroots and the host keeps its mounts', async (t) => {
  const { plan, steps: s } = build((spec) => (spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'mount')));
  t.notOk(Number(plan.ops[plan.cloneIndex]!.args[0]) & CLONE.NEWNS, 'no CLONE_NEWNS');
  t.ok(indexOf(s, 'CHROOT') > plan.cloneIndex, 'chroot into the rootfs');
  t.equal(indexOf(s, 'PIVOT_ROOT'), -1);
  t.equal(plan.hostMounts, true, 'its mounts are on the host: delete removes them');
});

t.test('a user namespace: CLONE_NEWUSER and root inside it before the mounts', async (t) => {
  const { plan, steps: s } = build((spec) => {
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  t.ok(Number(plan.ops[plan.cloneIndex]!.args[0]) & CLONE.NEWUSER);
  t.equal(plan.newUserNs, true);
  t.ok(indexOf(s, 'SETRESUID') < indexOf(s, 'MOUNT'), 'setresuid(0) comes before the first mount');
});

t.test('bind mounts: a file source gets a file target, a directory a directory, a missing one is refused by its pointer', async (t) => {
  const host = fakeHost({}, { '/host/file': 'file', '/host/dir': 'dir' });
  const { steps: s } = build((spec) => {
    spec.mounts!.push({ destination: '/etc/x', source: '/host/file', type: 'bind', options: ['bind', 'ro'] });
    spec.mounts!.push({ destination: '/data', source: '/host/dir', type: 'bind', options: ['rbind'] });
  }, host);
  t.ok(has(s, 'MKFILE_IN_ROOT', /\/etc\/x/), 'a file target for a file');
  t.ok(has(s, 'MKDIR_IN_ROOT', /\/data/), 'a directory target for a directory');
  t.ok(has(s, 'MOUNT', /bind \/host\/file on \/etc\/x/));
  t.ok(has(s, 'MOUNT', /remount \/etc\/x \(.*r/), 'ro needs a remount of the bind');
  t.ok(has(s, 'MOUNT', /bind \/host\/dir on \/data \(recursive\)/));
  const n = baseSpec().mounts!.length;
  t.throws(
    () => build((spec) => spec.mounts!.push({ destination: '/gone', source: '/host/missing', type: 'bind', options: ['bind'] }), host),
    { message: new RegExp(`^/mounts/${n}/source: `) },
    'a missing source names the mount by pointer',
  );
});

t.test('confinement the host cannot give is refused naming the field; given where the host has the LSM', async (t) => {
  for (const [field, edit] of [
    ['/process/apparmorProfile', (s: Spec) => (s.process!.apparmorProfile = 'tsrun-unit')],
    ['/process/selinuxLabel', (s: Spec) => (s.process!.selinuxLabel = 'system_u:system_r:container_t:s0')],
    ['/linux/mountLabel', (s: Spec) => (s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0')],
  ] as const) {
    const err = t.throws(() => build(edit)) as unknown;
    t.ok(err instanceof TsrunError, `${field}: a TsrunError`);
    t.equal((err as TsrunError).pointer, field, `${field}: the pointer`);
    t.equal((err as TsrunError).code, 'ERR_UNSUPPORTED');
  }
  const withLsm = fakeHost({ lsm: { apparmor: true, selinux: true, apparmorExecAttr: '/proc/self/attr/apparmor/exec' } });
  const { steps: s } = build((spec) => (spec.process!.apparmorProfile = 'tsrun-unit'), withLsm);
  t.ok(has(s, 'WRITE_FILE', /AppArmor profile tsrun-unit at exec/), 'the profile is asked for at exec');
  t.ok(indexOf(s, 'WRITE_FILE') < indexOf(s, 'EXEC'));
});

t.test('capabilities beyond the host bounding set are left out with a warning', async (t) => {
  const host = fakeHost({ boundingSet: (1n << 21n) - 1n }); // up to CAP_SYS_ADMIN (21) excluded
  const { plan } = build((spec) => {
    spec.process!.capabilities!.bounding = ['CAP_CHOWN', 'CAP_SYS_ADMIN'];
  }, host);
  t.match(plan.warnings.join('\n'), /CAP_SYS_ADMIN not in the host's bounding set/);
});

t.test('run mode: the executor becomes a subreaper and waits; sysctls and the time namespace come in order', async (t) => {
  const { plan, steps: s } = build(
    (spec) => {
      spec.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      spec.linux!.namespaces!.push({ type: 'time' });
      spec.linux!.timeOffsets = { monotonic: { secs: 10, nanosecs: 0 } };
    },
    fakeHost(),
    { mode: 'run' },
  );
  t.ok(indexOf(s, 'SUBREAPER') >= 0 && indexOf(s, 'SUBREAPER') < plan.cloneIndex, 'subreaper, before the clone');
  t.equal(Number(plan.ops[plan.cloneIndex]!.args[1]), 1, 'the clone waits for the init');
  t.ok(has(s, 'WRITE_FILE', /sysctl net\.ipv4\.ip_forward=1/));
  t.ok(has(s, 'WRITE_FILE', /time offsets: monotonic 10 0/), 'the offsets are written');
  t.ok(s.findIndex(([n, w]) => n === 'WRITE_FILE' && /time offsets/.test(w)) < plan.cloneIndex, 'before the clone, as the kernel requires');
});
