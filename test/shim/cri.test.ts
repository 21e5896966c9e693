// The Kubernetes node path: a private containerd (Debian's, with its
// built-in CRI plugin) driven over CRI as kubelet drives it, with three
// runtime handlers in the same run:
//   tsrun        runtime_type io.containerd.tsrun.v2 (tsrun's own shim)
//   runc-tsrun   io.containerd.runc.v2 with BinaryName = bin/tsrun
//   runc         io.containerd.runc.v2 with runc, the reference
// Each handler runs the same pod: a host-network sandbox (the pause image
// built from src/pause/pause.c), containers with logs, ExecSync, limits,
// stats, update, OOM, stop with a timeout, removal, and nothing left behind.
// The last comment is the scenario table.
import t, { type Test } from 'tap';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriClient, type Msg } from './cri-client.js';
import { pauseImage, PAUSE, PAUSE_IMAGE } from './pause-image.js';
import { cgroupDirsNamed, hostMountinfo, newHostMounts, TOP, unmountBelow, waitFor } from '../helpers.js';

const SHIM = join(TOP, 'bin/containerd-shim-tsrun-v2');
const CACHE = process.env.TSRUN_ENGINES_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'tsrun-harness/engines');
const BUSYBOX = 'docker.io/library/tsrun-busybox:latest';
const MiB = 1 << 20;
const HANDLERS = ['tsrun', 'runc-tsrun', 'runc'] as const;
type Handler = (typeof HANDLERS)[number];
const HANDLER_NAMES: Record<Handler, string> = { tsrun: 'tsrun shim', 'runc-tsrun': 'runc shim + tsrun', runc: 'runc shim + runc' };

const runc = spawnSync('sh', ['-c', 'command -v runc']).stdout?.toString().trim();
const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc'].filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
if (missing.length > 0 || !existsSync(join(CACHE, 'oci-image.tar')) || !existsSync(PAUSE)) {
  t.skip(`CRI: needs ${missing.join(', ') || 'the engines image (scripts/engines/setup.sh) and dist/pause (make build)'}`, () => {});
} else {
  void main();
}

interface Env {
  dir: string;
  cri: CriClient;
  containerd: ChildProcess;
  cgroupTop: string;
  ctr: (...args: string[]) => string;
}

function config(dir: string): string {
  const rt = (name: string, type: string, opts: Record<string, string> | null) =>
    `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}]\n  runtime_type = "${type}"\n` +
    (opts
      ? `  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}.options]\n` +
        Object.entries(opts)
          .map(([k, v]) => `    ${k} = "${v}"\n`)
          .join('')
      : '');
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[debug]
  address = "${dir}/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  disable_apparmor = true
  # CRI gives the sandbox oom_score_adj -998; lowering it needs CAP_SYS_RESOURCE,
  # which this host's root may lack: keep it at or above containerd's own.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "${dir}/cni/bin"
  conf_dir = "${dir}/cni/net.d"
[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
${rt('tsrun', 'io.containerd.tsrun.v2', null)}${rt('runc-tsrun', 'io.containerd.runc.v2', { BinaryName: join(TOP, 'bin/tsrun'), Root: `${dir}/tsrun-cli` })}${rt('runc', 'io.containerd.runc.v2', { BinaryName: runc!, Root: `${dir}/runc` })}`;
}

async function startContainerd(t: Test): Promise<Env> {
  const dir = mkdtempSync('/tmp/tsrun-cri-shim2-');
  chmodSync(dir, 0o755);
  const cgroupTop = `tsrun-cri-${dir.slice(-6).toLowerCase()}`;
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'tsrun-state'));
  execFileSync('ln', ['-s', SHIM, join(dir, 'bin/containerd-shim-tsrun-v2')]);
  writeFileSync(join(dir, 'config.toml'), config(dir));
  const log = openSync(join(dir, 'containerd.log'), 'w');
  const containerd = spawn('containerd', ['--config', join(dir, 'config.toml')], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { PATH: `${dir}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: '/root', TSRUN_SHIM_ROOT: join(dir, 'tsrun-state') },
  });
  closeSync(log);
  const ctr = (...args: string[]) => execFileSync('ctr', ['--address', join(dir, 'containerd.sock'), '--namespace', 'k8s.io', ...args], { encoding: 'utf8', timeout: 60_000 });
  t.teardown(async () => {
    // Whatever a failed scenario left: containerd's own view first, then by pid.
    for (const id of (() => {
      try {
        return ctr('task', 'ls', '-q').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    })()) {
      spawnSync('ctr', ['--address', join(dir, 'containerd.sock'), '-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', id]);
    }
    containerd.kill('SIGTERM');
    await waitFor(() => containerd.exitCode !== null || containerd.signalCode !== null, 10_000);
    for (const pid of shimPids(dir)) spawnSync('kill', ['-9', String(pid)]);
    unmountBelow(dir);
    for (const m of hostMountinfo()
      .split('\n')
      .filter((l) => l.includes(dir)))
      spawnSync('umount', ['-l', m.split(' ')[4]!]);
    // The pods' parent cgroups (kubelet's to remove, not CRI's); a just-emptied one may still be busy for a moment.
    await waitFor(() => {
      for (const d of cgroupDirsNamed(cgroupTop)) spawnSync('find', [d, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']);
      return cgroupDirsNamed(cgroupTop).length === 0;
    }, 10_000);
    if (!process.env.TSRUN_KEEP) rmSync(dir, { recursive: true, force: true });
  });
  const sock = join(dir, 'containerd.sock');
  if (!(await waitFor(() => existsSync(sock), 20_000))) throw new Error(`containerd did not start: ${readFileSync(join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);
  const cri = CriClient.connect(sock);
  t.teardown(() => cri.close());
  await waitFor(async () => (await cri.call('Version').catch(() => null)) !== null, 20_000);
  ctr('image', 'import', join(CACHE, 'oci-image.tar'));
  ctr('image', 'import', pauseImage(dir));
  for (const image of [BUSYBOX, PAUSE_IMAGE]) {
    const seen = await waitFor(async () => !!(await cri.call('ImageStatus', { image: { image } }, { service: 'runtime.v1.ImageService' })).image, 10_000);
    if (!seen) throw new Error(`CRI does not see ${image}`);
  }
  return { dir, cri, containerd, cgroupTop, ctr };
}

/** The shim processes serving this containerd (their argv holds its socket path). */
function shimPids(dir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (!cmd.includes('containerd-shim') || !cmd.includes(`-address ${dir}/containerd.sock`)) continue;
    out.push(Number(p));
  }
  return out;
}

// ---- the pod, per handler ---------------------------------------------------
const table = new Map<string, Partial<Record<Handler, string>>>();

async function main() {
  t.setTimeout(900_000);
  const env = await startContainerd(t);
  for (const h of HANDLERS) await t.test(HANDLER_NAMES[h], (t) => pod(t, env, h));
  const rows = [...table.entries()].map(([s, r]) => `| ${s} | ${HANDLERS.map((h) => r[h] ?? '-').join(' | ')} |`);
  t.comment(['scenario table (CRI, containerd 1.6):', '', `| scenario | ${HANDLERS.map((h) => HANDLER_NAMES[h]).join(' | ')} |`, `|---|${HANDLERS.map(() => '---').join('|')}|`, ...rows].join('\n'));
}

async function pod(t: Test, env: Env, h: Handler): Promise<void> {
  const { cri, dir } = env;
  const logDir = join(dir, 'logs', h);
  mkdirSync(logDir, { recursive: true });
  const mountsBefore = hostMountinfo();
  const cgroupParent = `/${env.cgroupTop}/pod-${h}`;
  const sandboxConfig = {
    metadata: { name: `pod-${h}`, uid: `uid-${h}-${process.pid}`, namespace: 'tsrun-test', attempt: 0 },
    // No hostname: kubelet sets none for a host-network pod (it shares the host's UTS namespace).
    logDirectory: logDir,
    linux: { cgroupParent, securityContext: { namespaceOptions: { network: 2 /* NODE */, pid: 0 /* POD */, ipc: 0 } } },
  };
  let sandboxId = '';
  const containers: string[] = [];
  const scenario = async (name: string, fn: (t: Test) => Promise<void>) => {
    const res = await t.test(name, fn);
    const row = table.get(name) ?? {};
    row[h] = res?.ok ? 'pass' : sandboxId ? 'FAIL' : 'FAIL (no pod)';
    table.set(name, row);
  };
  const create = async (name: string, command: string[], resources: Msg = {}, extra: Msg = {}) => {
    const r = await cri.call('CreateContainer', {
      podSandboxId: sandboxId,
      config: { metadata: { name, attempt: 0 }, image: { image: BUSYBOX }, command, logPath: `${name}.log`, linux: { resources }, ...extra },
      sandboxConfig,
    });
    containers.push(r.containerId);
    return r.containerId as string;
  };
  const status = async (id: string) => (await cri.call('ContainerStatus', { containerId: id })).status;
  const exec = (id: string, cmd: string[]) => cri.call('ExecSync', { containerId: id, cmd, timeout: 30 });
  const logOf = (name: string) => {
    try {
      return readFileSync(join(logDir, `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  };
  const exited = (id: string, ms = 20_000) => waitFor(async () => (await status(id)).state === 2 /* EXITED */, ms);

  await scenario('RunPodSandbox (host network)', async (t) => {
    const r = await cri.call('RunPodSandbox', { config: sandboxConfig, runtimeHandler: h });
    sandboxId = r.podSandboxId;
    const st = await cri.call('PodSandboxStatus', { podSandboxId: sandboxId, verbose: true });
    t.equal(st.status.state, 0, 'SANDBOX_READY');
    const info = JSON.parse(st.info.info);
    t.equal(info.runtimeHandler, h, 'runs under the handler asked for');
    t.ok(info.pid > 0, 'the pause process has a pid');
    t.equal(readlinkSync(`/proc/${info.pid}/ns/net`), readlinkSync('/proc/self/ns/net'), "the sandbox is in the host's network namespace");
    t.equal(readFileSync(`/proc/${info.pid}/cmdline`, 'utf8'), '/pause\0', 'the pause binary runs');
  });
  if (!sandboxId) return;

  let c1 = '';
  await scenario('CreateContainer, StartContainer, CRI log file', async (t) => {
    c1 = await create('c1', ['sh', '-c', 'echo to-out; echo to-err >&2; exec sleep 1000'], {
      memoryLimitInBytes: 64 * MiB,
      cpuPeriod: 100000,
      cpuQuota: 50000,
    });
    t.equal((await status(c1)).state, 0, 'CONTAINER_CREATED');
    await cri.call('StartContainer', { containerId: c1 });
    t.equal((await status(c1)).state, 1, 'CONTAINER_RUNNING');
    t.ok(await waitFor(() => logOf('c1').split('\n').length >= 3, 10_000), 'two log lines');
    // CRI's log format: RFC3339Nano time, stream, P(artial)/F(ull), the line.
    // stdout and stderr are two FIFOs copied apart: their order is not kept.
    const lines = logOf('c1').trimEnd().split('\n');
    t.ok(
      lines.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z (stdout|stderr) F /.test(l)),
      'CRI log lines',
    );
    t.same(lines.map((l) => l.split(' ').slice(1).join(' ')).sort(), ['stderr F to-err', 'stdout F to-out'], 'the CRI log file');
  });

  await scenario('containers of a pod share one shim', async (t) => {
    // containerd connects to each task's shim at its bundle's address file.
    const address = (id: string) => readFileSync(join(dir, 'state/io.containerd.runtime.v2.task/k8s.io', id, 'address'), 'utf8');
    t.equal(address(c1), address(sandboxId), "the container's shim is the sandbox's");
    t.equal(shimPids(dir).length, 1, 'one shim serves this containerd');
  });

  await scenario('ExecSync with exit codes', async (t) => {
    const r = await exec(c1, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    t.same([r.exitCode, r.stdout.toString(), r.stderr.toString()], [3, 'out\n', 'err\n'], 'exit 3, stdout, stderr');
    const r0 = await exec(c1, ['true']);
    t.equal(r0.exitCode, 0, 'exit 0');
  });

  const cg = (file: string) => exec(c1, ['cat', `/sys/fs/cgroup/${file}`]).then((r) => r.stdout.toString().trim());
  const v2 = statSync('/sys/fs/cgroup').isDirectory() && existsSync('/sys/fs/cgroup/cgroup.controllers');
  await scenario('resource limits seen inside', async (t) => {
    if (v2) {
      t.equal(await cg('memory.max'), String(64 * MiB), 'memory.max');
      t.equal(await cg('cpu.max'), '50000 100000', 'cpu.max');
    } else {
      t.equal(await cg('memory/memory.limit_in_bytes'), String(64 * MiB), 'memory.limit_in_bytes');
      t.equal(await cg('cpu/cpu.cfs_quota_us'), '50000', 'cpu.cfs_quota_us');
    }
  });

  await scenario('ContainerStats', async (t) => {
    const s = (await cri.call('ContainerStats', { containerId: c1 })).stats;
    t.equal(s.attributes.id, c1, 'the container');
    t.ok(s.memory.workingSetBytes.value > 0, `memory working set ${s.memory.workingSetBytes.value}`);
    t.ok(s.cpu.usageCoreNanoSeconds.value > 0, `cpu usage ${s.cpu.usageCoreNanoSeconds.value}`);
  });

  await scenario('UpdateContainerResources', async (t) => {
    await cri.call('UpdateContainerResources', { containerId: c1, linux: { memoryLimitInBytes: 96 * MiB, cpuPeriod: 100000, cpuQuota: 25000 } });
    t.equal(await cg(v2 ? 'memory.max' : 'memory/memory.limit_in_bytes'), String(96 * MiB), 'the new memory limit, inside');
    t.equal(await cg(v2 ? 'cpu.max' : 'cpu/cpu.cfs_quota_us'), v2 ? '25000 100000' : '25000', 'the new cpu quota, inside');
    t.equal((await status(c1)).resources?.linux?.memoryLimitInBytes, 96 * MiB, 'ContainerStatus reports it');
  });

  await scenario('OOMKilled status', async (t) => {
    // 64 MiB of buffer under a 32 MiB limit: the kernel's OOM killer ends dd.
    const id = await create('oom', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], { memoryLimitInBytes: 32 * MiB });
    await cri.call('StartContainer', { containerId: id });
    t.ok(await exited(id), 'exited');
    // CRI records the reason from the TaskOOM event, which may trail TaskExit a little.
    await waitFor(async () => (await status(id)).reason === 'OOMKilled', 5000);
    const st = await status(id);
    t.same([st.exitCode, st.reason], [137, 'OOMKilled'], 'exit 137, reason OOMKilled');
  });

  await scenario('StopContainer: SIGTERM handled', async (t) => {
    const id = await create('term', ['sh', '-c', "trap 'echo got-term; exit 7' TERM; while :; do sleep 0.1; done"]);
    await cri.call('StartContainer', { containerId: id });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await cri.call('StopContainer', { containerId: id, timeout: 10 });
    const ms = Date.now() - t0;
    const st = await status(id);
    t.same([st.state, st.exitCode], [2, 7], 'exited 7, from its TERM trap');
    t.ok(ms < 5000, `stopped before the timeout (${ms} ms)`);
    t.match(logOf('term'), /stdout F got-term/, 'the trap ran');
  });

  await scenario('StopContainer: timeout, then SIGKILL', async (t) => {
    const id = await create('kill', ['sh', '-c', "trap '' TERM; while :; do sleep 0.1; done"]);
    await cri.call('StartContainer', { containerId: id });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await cri.call('StopContainer', { containerId: id, timeout: 2 });
    const ms = Date.now() - t0;
    const st = await status(id);
    t.same([st.state, st.exitCode], [2, 137], 'exited 137 (SIGKILL)');
    t.ok(ms >= 2000 && ms < 10_000, `after the 2 s timeout (${ms} ms)`);
  });

  await scenario('StopContainer, RemoveContainer', async (t) => {
    await cri.call('StopContainer', { containerId: c1, timeout: 1 });
    t.equal((await status(c1)).state, 2, 'CONTAINER_EXITED');
    for (const id of containers) await cri.call('RemoveContainer', { containerId: id });
    const left = (await cri.call('ListContainers', { filter: { podSandboxId: sandboxId } })).containers;
    t.same(left, [], 'no container listed');
  });

  await scenario('StopPodSandbox, RemovePodSandbox', async (t) => {
    await cri.call('StopPodSandbox', { podSandboxId: sandboxId });
    t.equal((await cri.call('PodSandboxStatus', { podSandboxId: sandboxId })).status.state, 1, 'SANDBOX_NOTREADY');
    await cri.call('RemovePodSandbox', { podSandboxId: sandboxId });
    t.same((await cri.call('ListPodSandbox', { filter: { id: sandboxId } })).items, [], 'no sandbox listed');
  });

  await scenario('nothing left behind', async (t) => {
    const ids = [sandboxId, ...containers];
    t.ok(await waitFor(() => shimPids(dir).length === 0, 10_000), `no shim left (${shimPids(dir).join(' ')})`);
    const stateDir = { tsrun: join(dir, 'tsrun-state/k8s.io'), 'runc-tsrun': join(dir, 'tsrun-cli/k8s.io'), runc: join(dir, 'runc/k8s.io') }[h];
    t.same(existsSync(stateDir) ? readdirSync(stateDir) : [], [], 'no runtime state');
    t.same(
      ids.flatMap((id) => cgroupDirsNamed(id)),
      [],
      'no cgroup',
    );
    const mounts = newHostMounts(mountsBefore, ['/']).filter((m) => ids.some((id) => m.mountPoint.includes(id)));
    t.same(
      mounts.map((m) => m.mountPoint),
      [],
      'no mount',
    );
    t.same(env.ctr('task', 'ls', '-q').trim(), '', 'no task in containerd');
  });
}
