// containerd-shim-tsrun-v2 driven as containerd drives it, without
// containerd: `start` in the bundle, then the Task service over ttrpc, with
// a fake containerd events service receiving what the shim publishes.
// Checks the gRPC codes of bad requests, exit statuses, events, and that
// the shim leaves nothing behind.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TtrpcClient, TtrpcServer, Code } from '../../src/ttrpc/index.js';
import { decode, encode, T } from '../../src/shim/codec.js';
import { makeBundle, tempDir, uniqueId, waitUntil, type Teardown } from '../helpers.js';
import type { Spec } from '../../src/index.js';

const SHIM = join(import.meta.dirname, '../../bin/containerd-shim-tsrun-v2');
const TASK = 'containerd.task.v2.Task';
const NS = 'tsrun-shim-test';

interface Env {
  client: TtrpcClient;
  events: Array<{ topic: string; type: string; event: Record<string, unknown> }>;
  bundle: string;
  stateRoot: string;
  shimPid: () => number;
  socket: string;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...opts, encoding: 'buffer', timeout: 30000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() }),
    );
  });
}

async function startShim(t: Teardown, id: string, args: string[], edit: (s: Spec) => void = () => {}): Promise<Env> {
  const dir = tempDir(t, 'shim');
  const stateRoot = join(dir, 'state');
  const { dir: bundle } = makeBundle(t, (s) => {
    s.process!.args = args;
    s.process!.terminal = false;
    edit(s);
  });
  // The fake containerd: only its events service.
  const events: Env['events'] = [];
  const fake = new TtrpcServer();
  fake.register('containerd.services.events.ttrpc.v1.Events', {
    Forward: (req) => {
      const fr = decode('containerd.services.events.ttrpc.v1.ForwardRequest', req.payload);
      const any = fr.envelope.event;
      events.push({ topic: fr.envelope.topic, type: any.type_url, event: decode(any.type_url, any.value) });
      return new Uint8Array();
    },
  });
  const ttrpcAddress = join(dir, 'containerd.sock.ttrpc');
  await fake.listen(ttrpcAddress);
  t.teardown(() => fake.close(50));
  const env = { ...process.env, TTRPC_ADDRESS: ttrpcAddress, TSRUN_SHIM_ROOT: stateRoot };
  const flags = ['-namespace', NS, '-address', join(dir, 'containerd.sock'), '-publish-binary', '/bin/false', '-id', id];
  const r = await run(SHIM, [...flags, 'start'], { cwd: bundle, env });
  if (r.code !== 0) throw new Error(`shim start: ${r.stderr}`);
  const address = r.stdout.toString();
  const socket = address.replace(/^unix:\/\//, '');
  const client = await TtrpcClient.connect(socket);
  let pid = 0;
  t.teardown(async () => {
    client.close();
    if (pid && existsSync(`/proc/${pid}`)) {
      // A daemon still lingering (or a test that failed half-way): SIGTERM ends
      // it, its containers and its registration.
      process.kill(pid, 'SIGTERM');
      await waitUntil(() => !existsSync(`/proc/${pid}`), 'the shim exits on SIGTERM');
      // What a failed test left: containerd's cleanup path.
      if (existsSync(bundle)) await run(SHIM, [...flags, '-bundle', bundle, 'delete'], { cwd: bundle, env });
    }
  });
  const conn = decode(T('ConnectResponse'), await call(client, 'Connect', 'ConnectRequest', { id }));
  pid = conn.shimPid;
  return { client, events, bundle, stateRoot, shimPid: () => pid, socket };
}

function call(c: TtrpcClient, method: string, reqType: string, req: Record<string, unknown>): Promise<Buffer> {
  return c.call(TASK, method, encode(T(reqType), req), { timeoutMs: 30000, metadata: [{ key: 'containerd-namespace-ttrpc', value: NS }] });
}

function outFile(t: Teardown): string {
  return join(tempDir(t, 'shim-out'), 'out');
}

t.test('a task runs: create, start, wait, delete; events and exit status as containerd expects them', async (t) => {
  const id = uniqueId('shim');
  const env = await startShim(t, id, ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 3']);
  const out = outFile(t);
  const err = out + '.err';
  const created = decode(T('CreateTaskResponse'), await call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle, stdout: `file://${out}`, stderr: `file://${err}` }));
  t.ok(created.pid > 0, 'Create returns the init pid');
  const st = decode(T('StateResponse'), await call(env.client, 'State', 'StateRequest', { id }));
  t.equal(st.status, 1, 'State: CREATED');
  await call(env.client, 'Start', 'StartRequest', { id });
  const w = decode(T('WaitResponse'), await call(env.client, 'Wait', 'WaitRequest', { id }));
  t.equal(w.exitStatus, 3, 'Wait: exit status 3');
  t.ok(w.exitedAt.seconds > 0, 'Wait: exited_at set');
  t.equal(readFileSync(out, 'utf8'), 'to-stdout\n', 'stdout through a file:// URI');
  t.equal(readFileSync(err, 'utf8'), 'to-stderr\n', 'stderr');
  await t.rejects(call(env.client, 'Kill', 'KillRequest', { id, signal: 9 }), { code: Code.NotFound }, 'Kill of an exited task: NotFound');
  const del = decode(T('DeleteResponse'), await call(env.client, 'Delete', 'DeleteRequest', { id }));
  t.same([del.pid, del.exitStatus], [created.pid, 3], 'Delete reports pid and exit status');
  t.same(readdirSync(env.stateRoot + '/' + NS), [], 'no tsrun state left');
  await call(env.client, 'Shutdown', 'ShutdownRequest', { id });
  await waitUntil(() => !existsSync(`/proc/${env.shimPid()}`), 'the shim exits after Shutdown');
  t.notOk(existsSync(env.socket), 'the shim removed its socket');
  t.same(
    env.events.map((e) => [e.topic, e.type]),
    [
      ['/tasks/create', 'containerd.events.TaskCreate'],
      ['/tasks/start', 'containerd.events.TaskStart'],
      ['/tasks/exit', 'containerd.events.TaskExit'],
      ['/tasks/delete', 'containerd.events.TaskDelete'],
    ],
    'events, in order',
  );
  t.match(env.events[2]!.event, { containerId: id, id, pid: created.pid, exitStatus: 3 }, 'TaskExit carries the status');
});

t.test('bad requests get the codes containerd maps to its errors, and change nothing', async (t) => {
  const id = uniqueId('shim');
  const env = await startShim(t, id, ['sleep', '1000']);
  await call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle });
  await t.rejects(call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle }), { code: Code.AlreadyExists }, 'a task created twice');
  await t.rejects(call(env.client, 'State', 'StateRequest', { id: 'nope' }), { code: Code.NotFound }, 'an unknown id');
  await t.rejects(call(env.client, 'Delete', 'DeleteRequest', { id, execId: 'nope' }), { code: Code.NotFound }, 'an unknown exec id');
  await t.rejects(call(env.client, 'Checkpoint', 'CheckpointTaskRequest', { id }), { code: Code.Unimplemented, message: /not implemented/ }, 'Checkpoint');
  await t.rejects(env.client.call(TASK, 'State', Buffer.from([0xff, 0xff, 0xff])), { code: Code.InvalidArgument }, 'a malformed request');
  await t.rejects(call(env.client, 'Resume', 'ResumeRequest', { id }), { code: Code.FailedPrecondition }, 'Resume of a task that is not paused');
  await call(env.client, 'Start', 'StartRequest', { id });
  const spec = { type_url: 'types.containerd.io/opencontainers/runtime-spec/1/Process', value: Buffer.from(JSON.stringify({ args: ['sh', '-c', 'exit 5'], cwd: '/', env: ['PATH=/bin'] })) };
  await call(env.client, 'Exec', 'ExecProcessRequest', { id, execId: 'e1', spec });
  await t.rejects(call(env.client, 'Exec', 'ExecProcessRequest', { id, execId: 'e1', spec }), { code: Code.AlreadyExists }, 'Exec with a duplicate exec id');
  await t.rejects(
    call(env.client, 'Exec', 'ExecProcessRequest', { id, execId: 'e2', spec: { type_url: spec.type_url, value: Buffer.from('{not json') } }),
    { code: Code.InvalidArgument },
    'Exec with a spec that is not JSON',
  );
  await call(env.client, 'Start', 'StartRequest', { id, execId: 'e1' });
  const w = decode(T('WaitResponse'), await call(env.client, 'Wait', 'WaitRequest', { id, execId: 'e1' }));
  t.equal(w.exitStatus, 5, 'the exec exited 5');
  await call(env.client, 'Delete', 'DeleteRequest', { id, execId: 'e1' });
  await t.rejects(call(env.client, 'Delete', 'DeleteRequest', { id }), { code: Code.FailedPrecondition }, 'Delete of a running task');
  const pids = decode(T('PidsResponse'), await call(env.client, 'Pids', 'PidsRequest', { id }));
  t.equal(pids.processes.length, 1, 'Pids: the init only');
  await call(env.client, 'Kill', 'KillRequest', { id, signal: 9 });
  const w2 = decode(T('WaitResponse'), await call(env.client, 'Wait', 'WaitRequest', { id }));
  t.equal(w2.exitStatus, 137, 'SIGKILL: 128 + 9');
  await call(env.client, 'Delete', 'DeleteRequest', { id });
  await call(env.client, 'Shutdown', 'ShutdownRequest', { id });
  await waitUntil(() => !existsSync(`/proc/${env.shimPid()}`), 'the shim exits after Shutdown');
  t.same(
    env.events.map((e) => e.topic),
    ['/tasks/create', '/tasks/start', '/tasks/exec-added', '/tasks/exec-started', '/tasks/exit', '/tasks/exit', '/tasks/delete'],
    'events, in order',
  );
});

t.test('a SIGKILLed shim: the delete subcommand removes its container', async (t) => {
  const id = uniqueId('shim');
  const env = await startShim(t, id, ['sleep', '1000']);
  const created = decode(T('CreateTaskResponse'), await call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle }));
  await call(env.client, 'Start', 'StartRequest', { id });
  process.kill(env.shimPid(), 'SIGKILL');
  await waitUntil(() => !existsSync(`/proc/${env.shimPid()}`), 'the shim is gone');
  t.ok(existsSync(`/proc/${created.pid}`), 'the container outlives its shim');
  const flags = ['-namespace', NS, '-address', '/unused', '-id', id, '-bundle', env.bundle];
  const r = await run(SHIM, [...flags, 'delete'], { cwd: env.bundle, env: { ...process.env, TSRUN_SHIM_ROOT: env.stateRoot } });
  t.equal(r.code, 0, `delete exits 0 (${r.stderr})`);
  const del = decode(T('DeleteResponse'), r.stdout);
  t.equal(del.exitStatus, 137, 'delete reports 137');
  await waitUntil(() => !existsSync(`/proc/${created.pid}`), 'the container is killed');
  t.same(readdirSync(join(env.stateRoot, NS)), [], 'no tsrun state left');
  t.notOk(existsSync(env.socket), 'the dead shim socket is removed');
  t.notOk(existsSync(join(env.bundle, `../.tsrun-shim-${NS}`)), "the dead shim's registration is removed");
});

t.test('Stats, Update, Pause/Resume and an OOM kill, with their events', async (t) => {
  const id = uniqueId('shim');
  const MiB = 1 << 20;
  const env = await startShim(t, id, ['sleep', '1000'], (s) => {
    s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * MiB } };
  });
  await call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle });
  await call(env.client, 'Start', 'StartRequest', { id });
  const limit = async () => {
    const any = decode(T('StatsResponse'), await call(env.client, 'Stats', 'StatsRequest', { id })).stats;
    const m = decode(any.type_url, any.value);
    return any.type_url === 'io.containerd.cgroups.v1.Metrics' ? m.memory.usage.limit : m.memory.usageLimit;
  };
  t.equal(await limit(), 64 * MiB, 'Stats: the memory limit');
  const resources = { type_url: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources', value: Buffer.from(JSON.stringify({ memory: { limit: 32 * MiB } })) };
  await call(env.client, 'Update', 'UpdateTaskRequest', { id, resources });
  t.equal(await limit(), 32 * MiB, 'Update changed the limit');
  await call(env.client, 'Pause', 'PauseRequest', { id });
  t.equal(decode(T('StateResponse'), await call(env.client, 'State', 'StateRequest', { id })).status, 4, 'State: PAUSED');
  await call(env.client, 'Resume', 'ResumeRequest', { id });
  // 64 MiB of buffer under a 32 MiB limit: the kernel's OOM killer ends dd.
  const spec = {
    type_url: 'types.containerd.io/opencontainers/runtime-spec/1/Process',
    value: Buffer.from(JSON.stringify({ args: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], cwd: '/', env: ['PATH=/bin'] })),
  };
  await call(env.client, 'Exec', 'ExecProcessRequest', { id, execId: 'oom', spec });
  await call(env.client, 'Start', 'StartRequest', { id, execId: 'oom' });
  const w = decode(T('WaitResponse'), await call(env.client, 'Wait', 'WaitRequest', { id, execId: 'oom' }));
  t.equal(w.exitStatus, 137, 'the exec was OOM-killed');
  await waitUntil(() => env.events.some((e) => e.topic === '/tasks/oom'), 'a TaskOOM event');
  t.match(env.events.find((e) => e.topic === '/tasks/oom')!.event, { containerId: id });
  t.ok(env.events.some((e) => e.topic === '/tasks/paused') && env.events.some((e) => e.topic === '/tasks/resumed'), 'TaskPaused and TaskResumed');
  await call(env.client, 'Kill', 'KillRequest', { id, signal: 9, all: true });
  await call(env.client, 'Wait', 'WaitRequest', { id });
  await call(env.client, 'Delete', 'DeleteRequest', { id });
  await call(env.client, 'Shutdown', 'ShutdownRequest', { id });
  await waitUntil(() => !existsSync(`/proc/${env.shimPid()}`), 'the shim exits after Shutdown');
});

t.test('a bad config: InvalidArgument with the text and pointer of the library, nothing created', async (t) => {
  const id = uniqueId('shim');
  const env = await startShim(t, id, ['true'], (s) => {
    s.process!.user = { uid: -1, gid: 0 };
  });
  await t.rejects(call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle }), { code: Code.InvalidArgument, message: /\/process\/user\/uid/ });
  t.same(existsSync(join(env.stateRoot, NS)) ? readdirSync(join(env.stateRoot, NS)) : [], [], 'no tsrun state');
  await t.rejects(call(env.client, 'State', 'StateRequest', { id }), { code: Code.NotFound }, 'no task');
  await call(env.client, 'Shutdown', 'ShutdownRequest', { id });
  await waitUntil(() => !existsSync(`/proc/${env.shimPid()}`), 'the shim exits after Shutdown');
  t.same(env.events, [], 'no events');
});

t.test('an init that exits at once: TaskStart before TaskExit, and State says stopped after Wait', async (t) => {
  // The exit can be seen while Start is still answering; Start must not then mark the task running
  // (ctr run --rm then failed: "task must be stopped before deletion: running").
  for (let i = 0; i < 5; i++) {
    const id = uniqueId('shim-quick');
    const env = await startShim(t, id, ['true']);
    await call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle });
    await call(env.client, 'Start', 'StartRequest', { id });
    const w = decode(T('WaitResponse'), await call(env.client, 'Wait', 'WaitRequest', { id }));
    t.equal(w.exitStatus, 0, `round ${i}: exit 0`);
    const st = decode(T('StateResponse'), await call(env.client, 'State', 'StateRequest', { id }));
    t.equal(st.status, 3, `round ${i}: State: STOPPED after Wait`);
    await call(env.client, 'Delete', 'DeleteRequest', { id });
    const topics = env.events.map((e) => e.topic);
    t.ok(topics.indexOf('/tasks/start') < topics.indexOf('/tasks/exit'), `round ${i}: TaskStart before TaskExit (${topics.join(' ')})`);
    await call(env.client, 'Shutdown', 'ShutdownRequest', { id });
  }
});

const systemdHere = existsSync('/run/systemd/system') && 'systemd runs here: make test-systemd covers SystemdCgroup through containerd';
t.test("runc's Options in CreateTaskRequest.options: SystemdCgroup selects the systemd driver; another type is refused", { skip: systemdHere }, async (t) => {
  // containerd sends runc's Options (ctr --runc-systemd-cgroup, CRI's SystemdCgroup = true).
  // Without systemd as PID 1 here, the driver's refusal shows the option reached it (the
  // cgroupfs driver would have made a cgroup named "system.slice:tsrun:ID"); make
  // test-systemd runs the real thing through containerd in the systemd VM.
  const id = uniqueId('shim-sd');
  const env = await startShim(t, id, ['true'], (s) => {
    s.linux!.cgroupsPath = `system.slice:tsrun:${id}`;
  });
  const options = { type_url: 'containerd.runc.v1.Options', value: encode('containerd.runc.v1.Options', { systemdCgroup: true }) };
  await t.rejects(call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle, options }), { code: Code.Unimplemented, message: /systemd not running on this host/ });
  const other = { type_url: 'runtimeoptions.v1.Options', value: Buffer.from([0x12, 0x02, 0x2f, 0x78]) };
  await t.rejects(call(env.client, 'Create', 'CreateTaskRequest', { id, bundle: env.bundle, options: other }), {
    code: Code.InvalidArgument,
    message: /runtimeoptions\.v1\.Options are not supported/,
  });
  t.same(existsSync(join(env.stateRoot, NS)) ? readdirSync(join(env.stateRoot, NS)) : [], [], 'no tsrun state');
  t.notOk(existsSync(`/sys/fs/cgroup/system.slice:tsrun:${id}`) || existsSync(`/sys/fs/cgroup/memory/system.slice:tsrun:${id}`), 'no cgroup');
  await call(env.client, 'Shutdown', 'ShutdownRequest', { id });
  await waitUntil(() => !existsSync(`/proc/${env.shimPid()}`), 'the shim exits after Shutdown');
  t.same(env.events, [], 'no events');
});
