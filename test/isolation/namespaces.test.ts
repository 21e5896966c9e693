// Namespaces as the container sees them (/proc/self/ns/*) against the
// host's: new ones differ, joined ones are the target's, unlisted ones are
// the host's own.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { makeBundle, nsOf, runScript, stateRoot, uniqueId, waitFor } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';

// config.json type -> /proc/PID/ns link name.
const LINK: Record<string, string> = { pid: 'pid', mount: 'mnt', uts: 'uts', ipc: 'ipc', network: 'net', cgroup: 'cgroup', user: 'user', time: 'time' };
const PRINT_NS = Object.values(LINK)
  .map((l) => `echo ${l}=$(readlink /proc/self/ns/${l})`)
  .join('; ');

/** "net=net:[4026532331]" lines -> { net: 'net:[4026532331]' }. */
function parseNs(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .split('\n')
      .map((l) => /^(\w+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

t.test("every listed namespace is a new one, the unlisted ones are the host's", async (t) => {
  const r = await runScript(t, PRINT_NS + '; echo pid1=$$; cat /proc/self/cgroup');
  t.equal(r.code, 0, r.stderr);
  const inside = parseNs(r.stdout);
  for (const type of ['pid', 'mount', 'uts', 'ipc', 'network', 'cgroup']) {
    const link = LINK[type]!;
    t.match(inside[link], new RegExp(`^${link}:\\[\\d+\\]$`), `${link} printed`);
    t.not(inside[link], nsOf('self', link), `${type} namespace differs from the host's`);
    t.not(inside[link], nsOf(1, link), `${type} namespace differs from host pid 1's`);
  }
  // user and time are not in the busybox config's list.
  t.equal(inside.user, nsOf('self', 'user'), 'user namespace shared with the host');
  t.equal(inside.time, nsOf('self', 'time'), 'time namespace shared with the host');
  t.equal(inside.pid1, '1', 'the process is pid 1 of its pid namespace');
  // A new cgroup namespace is rooted at the container's cgroup.
  const cg = r.stdout.split('\n').filter((l) => /^\d+:[^:]*:/.test(l));
  t.ok(cg.length > 0, '/proc/self/cgroup printed');
  for (const l of cg) t.match(l, /^\d+:[^:]*:\/$/, `cgroup path is / inside the cgroup namespace: ${l}`);
});

t.test('a namespace left out of the list is shared with the host', async (t) => {
  const drop = ['network', 'ipc', 'uts', 'cgroup'];
  const r = await runScript(t, PRINT_NS + '; hostname', (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => !drop.includes(n.type));
    delete s.hostname;
  });
  t.equal(r.code, 0, r.stderr);
  const inside = parseNs(r.stdout);
  for (const type of drop) t.equal(inside[LINK[type]!], nsOf('self', LINK[type]!), `${type} shared with the host`);
  for (const type of ['pid', 'mount']) t.not(inside[LINK[type]!], nsOf('self', LINK[type]!), `${type} still new`);
  t.match(r.stdout, new RegExp(`^${hostname()}$`, 'm'), "the host's hostname");
});

t.test('a new uts namespace has its own hostname; the host keeps its own', async (t) => {
  const before = hostname();
  const r = await runScript(t, 'hostname', (s) => (s.hostname = 'ns-test-host'));
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trim(), 'ns-test-host');
  t.equal(hostname(), before, 'host hostname unchanged');
});

t.test('joining the namespaces of another container by path', async (t) => {
  const { run } = stateRoot(t);
  const a = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const idA = uniqueId('ns-a');
  const ca = await run(['create', '--bundle', a.dir, idA]);
  t.equal(ca.code, 0, ca.stderr);
  t.equal((await run(['start', idA])).code, 0);
  const pidA = JSON.parse((await run(['state', idA])).stdout).pid as number;
  t.ok(pidA > 0, 'container A has an init');

  const joined = ['network', 'ipc', 'uts', 'pid'];
  const b = makeBundle(t, (s: Spec) => {
    s.process!.args = ['sh', '-c', PRINT_NS + '; echo self=$$; echo one=$(cat /proc/1/cmdline | tr "\\0" " ")'];
    s.linux!.namespaces = s.linux!.namespaces!.map((n) => (joined.includes(n.type) ? { type: n.type, path: `/proc/${pidA}/ns/${LINK[n.type]}` } : n));
    delete s.hostname; // would rename A's uts namespace
  });
  const rb = await run(['run', '--bundle', b.dir, uniqueId('ns-b')]);
  t.equal(rb.code, 0, rb.stderr);
  const inside = parseNs(rb.stdout);
  for (const type of joined) {
    const link = LINK[type]!;
    t.equal(inside[link], nsOf(pidA, link), `B is in A's ${type} namespace`);
    t.not(inside[link], nsOf('self', link), `and that is not the host's ${type} namespace`);
  }
  t.not(inside.mnt, nsOf(pidA, 'mnt'), 'B still has a mount namespace of its own');
  t.not(inside.mnt, nsOf('self', 'mnt'));
  t.not(inside.self, '1', "in A's pid namespace B's init is not pid 1");
  t.equal(inside.one?.trim(), 'sleep 600', "B's /proc shows A's init as pid 1");
  t.equal(JSON.parse((await run(['state', idA])).stdout).status, 'running', 'A unaffected');
});

t.test('joining a namespace path that does not exist fails cleanly', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/999999999/ns/net' } : n));
  });
  const id = uniqueId('ns-bad');
  const r = await run(['create', '--bundle', dir, id]);
  t.equal(r.code, 1);
  t.match(r.stderr, /\/proc\/999999999\/ns\/net/, 'the error names the path');
  t.ok(await waitFor(async () => (await run(['list', '-q'])).stdout.trim() === ''), 'nothing left in the state root');
  t.same(readdirSync(root), []);
});
