// linux.netDevices: a host interface (a veth the test makes; the host's own
// are never touched) is moved into the container's network namespace,
// renamed, with its address and up state, and back to the host at delete
// while the container runs. runc 1.1.5 (this host's) ignores the field (the
// interface stays on the host); runc >= 1.3 moves it as here.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logMessages, makeBundle, stateRoot, uniqueId } from '../helpers.js';
import { NO_RUNC, runcRun } from './runc-run.js';

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });

/** A veth pair on the host (name ≤ 15 characters), removed on teardown wherever it ended up. */
function veth(t: Test): string {
  const name = `s13${Math.random().toString(16).slice(2, 8)}`;
  const r = ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
  if (r.status !== 0) throw new Error(`ip link add: ${r.stderr}`);
  t.teardown(() => void ip('link', 'del', name));
  ip('addr', 'add', '10.213.13.1/24', 'dev', name);
  ip('link', 'set', name, 'up');
  return name;
}

const inside = 'cat /sys/class/net/eth9/address; ip -4 addr show dev eth9 | grep -o "inet [0-9./]*"; cat /sys/class/net/eth9/flags';

t.test('moved in renamed, with its address and up; back to the host at delete', async (t) => {
  const dev = veth(t);
  const mac = readFileSync(`/sys/class/net/${dev}/address`, 'utf8');
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    s.linux!.netDevices = { [dev]: { name: 'eth9' } };
  });
  const id = uniqueId('spec13-net');
  const c = await run(['create', '--bundle', dir, id]);
  t.equal(c.code, 0, c.stderr);
  t.notOk(existsSync(`/sys/class/net/${dev}`), 'gone from the host');
  const e = await run(['exec', id, 'sh', '-c', inside]);
  t.equal(e.code, 0, e.stderr);
  const [addr, inet, flags] = e.stdout.trim().split('\n');
  t.equal(addr + '\n', mac, 'inside as eth9, the same interface (MAC)');
  t.equal(inet, 'inet 10.213.13.1/24', 'its address came along');
  t.ok(Number(flags) & 1, `it is up (flags ${flags})`);
  const d = await run(['delete', '--force', id]);
  t.equal(d.code, 0, d.stderr);
  t.ok(existsSync(`/sys/class/net/${dev}`), 'back on the host under its own name');
  t.match(ip('-4', 'addr', 'show', 'dev', dev).stdout, /inet 10\.213\.13\.1\/24/, 'with its address');
});

t.test('refused before anything is made, naming the field', async (t) => {
  const dev = veth(t);
  const cases: [Record<string, { name?: string }>, boolean, string][] = [
    [{ 'tsrun-s13-none': {} }, true, '/linux/netDevices/tsrun-s13-none: the host has no network interface tsrun-s13-none'],
    [{ [dev]: { name: 'a/b' } }, true, `/linux/netDevices/${dev}/name: "a/b" is not a network interface name`],
    [{ [dev]: {} }, false, '/linux/netDevices: moving network devices needs a new network namespace in /linux/namespaces'],
  ];
  for (const [devices, netns, message] of cases) {
    const { root, run } = stateRoot(t);
    const { dir } = makeBundle(t, (s) => {
      s.linux!.netDevices = devices;
      if (!netns) s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
    });
    const id = uniqueId('spec13-net-bad');
    const r = await run(['create', '--bundle', dir, id]);
    t.equal(r.code, 1);
    t.ok(logMessages(r.stderr).includes(message), logMessages(r.stderr).trim());
    t.notOk(existsSync(join(root, id)), 'no state directory');
    t.ok(existsSync(`/sys/class/net/${dev}`), 'the interface stayed on the host');
  }
});

t.test('runc on the same config', { skip: NO_RUNC }, async (t) => {
  const dev = veth(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'ls /sys/class/net'];
    s.linux!.netDevices = { [dev]: { name: 'eth9' } };
  });
  const r = runcRun(t, dir);
  t.equal(r.status, 0, r.stderr);
  if (!/^eth9$/m.test(r.stdout)) t.comment(`this runc ignores linux.netDevices (inside: ${r.stdout.trim().replace(/\n/g, ' ')})`);
  else t.pass('runc moved it too');
});
