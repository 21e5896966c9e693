// linux.memoryPolicy: set_mempolicy(2) in the init before exec, seen from
// inside in /proc/self/numa_maps (each mapping shows the task's policy when
// it has none of its own). This host has one NUMA node, 0. runc 1.1.5 (this
// host's) ignores the field (its container shows "default"); runc >= 1.3 applies it.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { logMessages, makeBundle, runScript, stateRoot, uniqueId } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';
import { NO_RUNC, runcRun } from '../isolation/runc-run.js';

const SCRIPT = "head -1 /proc/self/numa_maps | cut -d' ' -f2";
type Policy = NonNullable<NonNullable<Spec['linux']>['memoryPolicy']>;
const numa = existsSync('/proc/self/numa_maps') && existsSync('/sys/devices/system/node/node0');

const cases: [Policy, string][] = [
  [{ mode: 'MPOL_BIND', nodes: '0' }, 'bind:0'],
  [{ mode: 'MPOL_INTERLEAVE', nodes: '0' }, 'interleave:0'],
  [{ mode: 'MPOL_PREFERRED', nodes: '0' }, 'prefer:0'],
  [{ mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }, 'bind=static:0'],
  [{ mode: 'MPOL_LOCAL' }, 'local'],
];

for (const [policy, shown] of cases) {
  t.test(`${JSON.stringify(policy)}: the process runs with ${shown}`, { skip: !numa && 'no NUMA information on this host' }, async (t) => {
    const r = await runScript(t, SCRIPT, (s) => (s.linux!.memoryPolicy = policy));
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout.trim(), shown);
  });
}

t.test('without a policy: default (the control)', { skip: !numa && 'no NUMA information on this host' }, async (t) => {
  const r = await runScript(t, SCRIPT);
  t.equal(r.stdout.trim(), 'default');
});

t.test('runc on the same config', { skip: (!numa && 'no NUMA information on this host') || NO_RUNC }, async (t) => {
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', SCRIPT];
    s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
  });
  const r = runcRun(t, dir);
  t.equal(r.status, 0, r.stderr);
  // runc 1.1.5 ignores the field; a runc that applies it must agree with tsrun.
  if (r.stdout.trim() === 'default') t.comment('this runc ignores linux.memoryPolicy');
  else t.equal(r.stdout.trim(), 'bind:0');
});

t.test('refused before anything is made, naming the field', async (t) => {
  const bad: [Policy, string][] = [
    [{ mode: 'MPOL_BIND' }, '/linux/memoryPolicy/nodes: MPOL_BIND needs nodes'],
    [{ mode: 'MPOL_DEFAULT', nodes: '0' }, '/linux/memoryPolicy/nodes: MPOL_DEFAULT takes no nodes'],
    [{ mode: 'MPOL_BIND', nodes: '0-x' }, '/linux/memoryPolicy/nodes: "0-x" is not a node list such as "0-3,7"'],
    [{ nodes: '0' }, '/linux/memoryPolicy/mode: a memory policy needs a mode'],
  ];
  for (const [policy, message] of bad) {
    const { root, run } = stateRoot(t);
    const { dir } = makeBundle(t, (s) => (s.linux!.memoryPolicy = policy));
    const id = uniqueId('spec13-mpol');
    const r = await run(['create', '--bundle', dir, id]);
    t.equal(r.code, 1);
    t.ok(logMessages(r.stderr).includes(message), logMessages(r.stderr).trim());
    t.notOk(existsSync(join(root, id)), 'no state directory');
  }
});

t.test('a policy the kernel refuses fails create with its errno (node 1000 does not exist)', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '1000' }));
  const id = uniqueId('spec13-mpol');
  const r = await run(['create', '--bundle', dir, id]);
  t.equal(r.code, 1);
  t.match(logMessages(r.stderr), /set_mempolicy MPOL_BIND nodes 1000: EINVAL/);
  t.notOk(existsSync(join(root, id)), 'no state directory');
});
