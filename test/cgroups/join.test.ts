// The executor's CGROUP_JOIN ops: the parent side of CLONE writes the
// child's pid to each cgroup.procs file before it reports the pid, and a
// write the kernel refuses is reported as that op's failure, with nothing
// left running. Real cgroups (/tsrun-test-cg-*), real executors.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { detectCgroups } from '../../src/cgroups/detect.js';
import { ExecutorError, ExecutorSession } from '../../src/native/executor.js';
import { Msg, Op } from '../../src/native/generated/instruction-set.js';
import { encodePlan } from '../../src/native/plan.js';
import { explainFailure } from '../../src/lifecycle/shared.js';
import { planCgroupJoin, type Plan } from '../../src/plan/build.js';
import { TsrunError } from '../../src/errors.js';
import { read, rmTree, testPath, waitFor } from './fixtures/helpers.js';

const host = detectCgroups();

/** A new cgroup dir in a hierarchy (v1: the controller's; v2: the unified one), removed on teardown. */
function makeCgroup(t: Test, controller: string, tag: string): string {
  const mount = host.mode === 'v2' ? host.unified!.mountpoint : host.v1[controller]!.mountpoint;
  const dir = mount + testPath(tag);
  mkdirSync(dir);
  t.teardown(() => rmTree(dir));
  return dir;
}

/** The plan of a test: join the files, clone a child that waits for G, then report ready. */
function session(files: string[]): ExecutorSession {
  const ops = [...planCgroupJoin(files), Op.clone('clone', { flags: 0, wait: 0 }), Op.waitGo('wait'), Op.ready('ready')];
  return new ExecutorSession(encodePlan(ops), { stdio: ['ignore', 'ignore', 'ignore'] });
}

const procs = (dir: string) => read(dir, 'cgroup.procs');

if (process.getuid?.() !== 0) {
  t.skip('CGROUP_JOIN: needs root (real cgroups)', () => {});
} else {
  t.test('the child is in every cgroup before its pid is reported', async (t) => {
    const dirs = host.mode === 'v2' ? [makeCgroup(t, '', 'join')] : [makeCgroup(t, 'pids', 'join'), makeCgroup(t, 'memory', 'join')];
    const s = session(dirs.map((d) => posix.join(d, 'cgroup.procs')));
    try {
      const pid = Number(await s.expect(Msg.PID));
      for (const d of dirs) t.equal(procs(d), String(pid), `${d} holds the child as soon as P comes`);
      const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      for (const d of dirs) t.match(own, d.slice(d.lastIndexOf('/')), 'and /proc/PID/cgroup says so');
      t.notMatch(readFileSync(`/proc/${s.pid}/cgroup`, 'utf8'), dirs[0]!.slice(dirs[0]!.lastIndexOf('/')), 'the executor itself stays where it was');
      s.release();
      await s.expect(Msg.READY);
    } finally {
      // Before the cgroups' removal (teardown): the child waits for the session.
      s.close();
    }
    t.ok(await waitFor(() => dirs.every((d) => procs(d) === '')), 'the child is gone once the session closes');
  });

  t.test('a write the kernel refuses names its op; the child does not stay', async (t) => {
    const joined = makeCgroup(t, host.mode === 'v2' ? '' : 'pids', 'joined');
    // v1: a new cpuset cgroup has no CPUs yet, so it takes no task (ENOSPC).
    // v2: a cgroup that hands controllers to a child takes no process (EBUSY).
    let refusing: string;
    let errno: number;
    if (host.mode === 'v2') {
      refusing = makeCgroup(t, '', 'busy');
      mkdirSync(posix.join(refusing, 'child'));
      // memory: a domain controller (threaded ones such as pids do not have this rule).
      writeFileSync(posix.join(refusing, 'cgroup.subtree_control'), '+memory');
      errno = 16;
    } else {
      refusing = makeCgroup(t, 'cpuset', 'empty');
      t.equal(read(refusing, 'cpuset.cpus'), '', 'control: the new cpuset cgroup has no CPUs');
      errno = 28;
    }
    const s = session([posix.join(joined, 'cgroup.procs'), posix.join(refusing, 'cgroup.procs')]);
    try {
      const err = await s.expect(Msg.PID).then(
        () => undefined,
        (e: unknown) => e,
      );
      t.type(err, ExecutorError);
      t.match(err, { opIndex: 1, errno }, "the second join is the op at fault, with the kernel's errno");
      t.not(procs(joined), '', 'control: the child had joined the first cgroup');
    } finally {
      // Before the cgroups' removal (teardown): the child waits for the session.
      s.close();
    }
    t.ok(await waitFor(() => procs(joined) === ''), 'the child exits once the runtime closes the session');
  });
}

t.test('a refused join is a typed error with the file and the errno', async (t) => {
  const file = '/sys/fs/cgroup/a/cgroup.procs';
  const plan: Plan = {
    ops: [...planCgroupJoin([file]), Op.clone('clone', { flags: 0, wait: 0 })],
    cloneIndex: 1,
    newUserNs: false,
    hostMounts: false,
    joinsCgroup: true,
    seccompNotify: false,
    warnings: [],
  };
  const e = explainFailure(new ExecutorError(0, 16), plan) as TsrunError;
  t.type(e, TsrunError);
  t.match(e, { code: 'ERR_SYSCALL', syscall: 'write', path: file, errno: 'EBUSY', op: 0 });
  t.match(e.message, /^put the init in cgroup \/sys\/fs\/cgroup\/a: write \/sys\/fs\/cgroup\/a\/cgroup.procs: EBUSY: \/sys\/fs\/cgroup\/a has controllers enabled for its children/);
  const other = explainFailure(new ExecutorError(0, 2), plan) as TsrunError;
  t.match(other, { errno: 'ENOENT', path: file });
  t.notMatch(other.message, /controllers enabled/, 'only EBUSY gets the no-internal-processes reason');
});
