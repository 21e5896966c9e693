// One shim daemon per containerd namespace, driven as containerd drives it
// (start in each bundle, a ttrpc connection per container, Delete, Shutdown,
// close, then the delete subcommand): the second container's `start` and
// the normal path's `delete` run without Node (PATH has no node), Shutdown
// for one container keeps the other served, the daemon lingers for a next
// container, then exits and leaves no registration and no socket.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TtrpcClient, TtrpcServer } from '../../src/ttrpc/index.js';
import { decode, encode, T } from '../../src/shim/codec.js';
import { makeBundle, tempDir, uniqueId, waitUntil } from '../helpers.js';

const SHIM = join(import.meta.dirname, '../../bin/containerd-shim-tsrun-v2');
const TASK = 'containerd.task.v2.Task';

function run(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(SHIM, args, { ...opts, encoding: 'buffer', timeout: 30000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() }),
    );
  });
}

t.test('one daemon serves a namespace; start and delete skip Node while it runs; it lingers, then exits', async (t) => {
  const dir = tempDir(t, 'shimd');
  const ns = uniqueId('ns');
  const stateRoot = join(dir, 'state');
  const events: Array<{ topic: string; event: Record<string, unknown> }> = [];
  const fake = new TtrpcServer();
  fake.register('containerd.services.events.ttrpc.v1.Events', {
    Forward: (req) => {
      const fr = decode('containerd.services.events.ttrpc.v1.ForwardRequest', req.payload);
      events.push({ topic: fr.envelope.topic, event: decode(fr.envelope.event.type_url, fr.envelope.event.value) });
      return new Uint8Array();
    },
  });
  await fake.listen(join(dir, 'containerd.sock.ttrpc'));
  t.teardown(() => fake.close(50));
  // PATH without node: what the front end does there, it does in sh (date for the delete reply's time).
  const noNode = join(dir, 'no-node-bin');
  mkdirSync(noNode);
  symlinkSync('/usr/bin/date', join(noNode, 'date'));
  const env = { ...process.env, TTRPC_ADDRESS: join(dir, 'containerd.sock.ttrpc'), TSRUN_SHIM_ROOT: stateRoot };
  const flags = (id: string) => ['-namespace', ns, '-address', join(dir, 'containerd.sock'), '-publish-binary', '/bin/false', '-id', id];
  let daemonPid = 0;
  t.teardown(async () => {
    if (daemonPid && existsSync(`/proc/${daemonPid}`)) process.kill(daemonPid, 'SIGTERM');
  });

  const call = (c: TtrpcClient, method: string, reqType: string, req: Record<string, unknown>) =>
    c.call(TASK, method, encode(T(reqType), req), { timeoutMs: 30000, metadata: [{ key: 'containerd-namespace-ttrpc', value: ns }] });
  const container = async (args: string[], startEnv: NodeJS.ProcessEnv) => {
    const id = uniqueId('shimd');
    const { dir: bundle } = makeBundle(t, (s) => {
      s.process!.args = args;
      s.process!.terminal = false;
    });
    const r = await run([...flags(id), 'start'], { cwd: bundle, env: startEnv });
    if (r.code !== 0) throw new Error(`start: ${r.stderr}`);
    const address = r.stdout.toString();
    t.equal(readFileSync(join(bundle, 'address'), 'utf8'), address, `${id}: the address file names what start printed`);
    const client = await TtrpcClient.connect(address.replace(/^unix:\/\//, ''));
    const conn = decode(T('ConnectResponse'), await call(client, 'Connect', 'ConnectRequest', { id }));
    const created = decode(T('CreateTaskResponse'), await call(client, 'Create', 'CreateTaskRequest', { id, bundle }));
    await call(client, 'Start', 'StartRequest', { id });
    return { id, bundle, address, client, shimPid: conn.shimPid as number, pid: created.pid as number };
  };
  // What containerd does when a container is removed: Delete, Shutdown, close, then `delete`.
  const remove = async (c: Awaited<ReturnType<typeof container>>) => {
    await call(c.client, 'Kill', 'KillRequest', { id: c.id, signal: 9 }).catch(() => undefined);
    await call(c.client, 'Wait', 'WaitRequest', { id: c.id });
    await call(c.client, 'Delete', 'DeleteRequest', { id: c.id });
    await call(c.client, 'Shutdown', 'ShutdownRequest', { id: c.id });
    c.client.close();
    const r = await run([...flags(c.id), '-bundle', c.bundle, 'delete'], { cwd: c.bundle, env: { ...env, PATH: noNode } });
    t.equal(r.code, 0, `${c.id}: delete without Node exits 0 (${r.stderr})`);
    t.equal(decode(T('DeleteResponse'), r.stdout).exitStatus, 137, `${c.id}: delete's DeleteResponse`);
  };

  const a = await container(['sleep', '1000'], env);
  daemonPid = a.shimPid;
  const registry = join(dirname(a.bundle), `.tsrun-shim-${ns}`);
  await waitUntil(() => existsSync(registry), 'the daemon registers');
  t.equal(Number(readFileSync(registry, 'utf8').split(' ')[0]), daemonPid, 'the registration names the daemon');
  const b = await container(['sleep', '1000'], { ...env, PATH: noNode });
  t.equal(b.address, a.address, 'the second start, without Node, gives the same daemon');
  t.equal(b.shimPid, daemonPid, 'one shim process serves both');

  await remove(a);
  // Past the linger and the grace: the other container keeps its service.
  await new Promise((r) => setTimeout(r, 2500));
  t.ok(existsSync(`/proc/${daemonPid}`), "the daemon stays after one container's Shutdown");
  const st = decode(T('StateResponse'), await call(b.client, 'State', 'StateRequest', { id: b.id }));
  t.equal(st.status, 2, 'the other task is still RUNNING');
  t.ok(existsSync(`/proc/${b.pid}`), 'its init runs');

  await remove(b);
  // Right after the last container: the lingering daemon takes the next one.
  const c = await container(['true'], { ...env, PATH: noNode });
  t.equal(c.shimPid, daemonPid, 'a container right after the last one reuses the lingering daemon');
  await remove(c);

  await waitUntil(() => !existsSync(`/proc/${daemonPid}`), 'the daemon exits once idle');
  t.notOk(existsSync(registry), 'its registration is removed');
  t.notOk(existsSync(a.address.replace(/^unix:\/\//, '')), 'its socket is removed');
  t.same(
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(a.bundle) || l.includes(b.bundle)),
    [],
    'no rootfs mount left',
  );
  for (const x of [a, b, c]) {
    t.ok(
      events.some((e) => e.topic === '/tasks/exit' && e.event.containerId === x.id && e.event.pid === x.pid),
      `TaskExit for ${x.id}`,
    );
  }
});

t.test('parallel starts with no daemon running start one daemon between them', async (t) => {
  const dir = tempDir(t, 'shimd-par');
  const ns = uniqueId('ns');
  const env = { ...process.env, TSRUN_SHIM_ROOT: join(dir, 'state'), TTRPC_ADDRESS: join(dir, 'none.ttrpc') };
  const bundles = [0, 1, 2].map(() => makeBundle(t).dir);
  const rs = await Promise.all(bundles.map((b, i) => run(['-namespace', ns, '-address', join(dir, 'containerd.sock'), '-publish-binary', '/bin/false', '-id', `par${i}`, 'start'], { cwd: b, env })));
  for (const r of rs) t.equal(r.code, 0, `start exits 0 (${r.stderr})`);
  const addresses = new Set(rs.map((r) => r.stdout.toString()));
  t.equal(addresses.size, 1, `one address for all (${[...addresses].join(' ')})`);
  const registry = join(dirname(bundles[0]!), `.tsrun-shim-${ns}`);
  const pid = Number(readFileSync(registry, 'utf8').split(' ')[0]);
  t.teardown(() => {
    if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGTERM');
  });
  t.notOk(existsSync(`${registry}.starting`), 'no start lock left');
  // A second daemon would have started by now (a Node start is 0.1-0.5 s here).
  await new Promise((r) => setTimeout(r, 800));
  const daemons = readdirSync('/proc').filter((p) => {
    try {
      return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(`containerd-shim-tsrun-v2 -namespace ${ns} `);
    } catch {
      return false;
    }
  });
  t.same(daemons, [String(pid)], 'one daemon runs for the namespace');
  // containerd would connect for each: a daemon nobody connected to waits longer (its start may be slow).
  (await TtrpcClient.connect([...addresses][0]!.replace(/^unix:\/\//, ''))).close();
  await waitUntil(() => !existsSync(`/proc/${pid}`), 'the daemon exits once idle');
  t.notOk(existsSync(registry), 'its registration is removed');
});
