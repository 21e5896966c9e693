// `make bench` (bench/shim.sh): a Kubernetes pod with one container, from
// RunPodSandbox to the container's exit seen through ContainerStatus, as
// kubelet drives containerd's CRI plugin, under three runtime handlers of
// the same containerd, interleaved:
//   tsrun        io.containerd.tsrun.v2 (tsrun's shim), its daemon running
//                (as while any pod of the handler runs on the node)
//   tsrun-cold   the same when no daemon runs (it waits for the last to exit)
//   runc-tsrun   io.containerd.runc.v2 with BinaryName = bin/tsrun
//   runc         io.containerd.runc.v2 with runc
// Wall time, and the CPU time of containerd and everything it starts (shims,
// runtimes; not the containers) from the cgroup file in BENCH_CPU_FILE.
// Removing the pod is not timed. Then the shims' RSS for a pod of 1 and of
// 10 containers. Prints markdown tables.
// usage: node --import <ts loader> bench/shim-cri.ts CONTAINERD_SOCKET WORKDIR N
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriClient } from '../test/shim/cri-client.js';
import { pauseImage, PAUSE_IMAGE } from '../test/shim/pause-image.js';

const [sock, dir, nArg] = process.argv.slice(2);
const N = Number(nArg ?? 10);
const HANDLERS = ['tsrun', 'tsrun-cold', 'runc-tsrun', 'runc'];
const IMAGE = 'docker.io/library/tsrun-busybox:latest';
const cpuFile = process.env.BENCH_CPU_FILE ?? '';

/** CPU ns of the cgroup: cgroup v1 cpuacct.usage, or v2 cpu.stat usage_usec. */
function cpuNs(): number {
  if (!cpuFile || !existsSync(cpuFile)) return NaN;
  const text = readFileSync(cpuFile, 'utf8');
  if (cpuFile.endsWith('cpuacct.usage')) return Number(text.trim());
  return Number(/usage_usec (\d+)/.exec(text)![1]) * 1000;
}

const cri = CriClient.connect(sock!);
const ctr = (...args: string[]) => execFileSync('ctr', ['--address', sock!, '--namespace', 'k8s.io', ...args], { encoding: 'utf8' });
ctr('image', 'import', process.env.BENCH_IMAGE_TAR!);
ctr('image', 'import', pauseImage(dir!));
for (const image of [IMAGE, PAUSE_IMAGE]) {
  for (let i = 0; !(await cri.call('ImageStatus', { image: { image } }, { service: 'runtime.v1.ImageService' })).image; i++) {
    if (i > 100) throw new Error(`CRI does not see ${image}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** tsrun's shim daemons of this containerd (one serves the k8s.io namespace). */
function tsrunDaemons(): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(`containerd-shim-tsrun-v2 -namespace k8s.io -address ${sock}`)) n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

let seq = 0;
async function pod(kind: string): Promise<{ wall: number; cpu: number }> {
  const h = kind === 'tsrun-cold' ? 'tsrun' : kind;
  if (kind === 'tsrun' && tsrunDaemons() === 0) await pod('untimed'); // its daemon, running
  if (kind === 'untimed') return pod1('tsrun');
  if (kind === 'tsrun-cold') for (let i = 0; i < 100 && tsrunDaemons() > 0; i++) await new Promise((r) => setTimeout(r, 100));
  return pod1(h);
}

async function pod1(h: string): Promise<{ wall: number; cpu: number }> {
  const name = `b${++seq}-${h}`;
  const logDir = join(dir!, 'logs', name);
  mkdirSync(logDir, { recursive: true });
  const sandboxConfig = {
    metadata: { name, uid: name, namespace: 'bench', attempt: 0 },
    logDirectory: logDir,
    linux: { cgroupParent: `/${process.env.BENCH_CGROUP_PARENT ?? 'tsrun-bench-cri'}/${name}`, securityContext: { namespaceOptions: { network: 2 } } },
  };
  const c0 = cpuNs();
  const t0 = performance.now();
  const { podSandboxId } = await cri.call('RunPodSandbox', { config: sandboxConfig, runtimeHandler: h });
  const { containerId } = await cri.call('CreateContainer', {
    podSandboxId,
    config: { metadata: { name: 'c', attempt: 0 }, image: { image: IMAGE }, command: ['true'], logPath: 'c.log' },
    sandboxConfig,
  });
  await cri.call('StartContainer', { containerId });
  // kubelet learns of exits from its PLEG, by polling (or CRI events in newer versions): poll every 10 ms.
  while ((await cri.call('ContainerStatus', { containerId })).status.state !== 2) await new Promise((r) => setTimeout(r, 10));
  const wall = performance.now() - t0;
  const cpu = (cpuNs() - c0) / 1e6;
  await cri.call('RemoveContainer', { containerId });
  await cri.call('StopPodSandbox', { podSandboxId });
  await cri.call('RemovePodSandbox', { podSandboxId });
  return { wall, cpu };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const wall: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
for (const h of HANDLERS) await pod(h); // warm-up
for (let i = 0; i < N; i++) {
  for (const h of [...HANDLERS].sort(() => Math.random() - 0.5)) {
    const r = await pod(h);
    (wall[h] ??= []).push(r.wall);
    (cpu[h] ??= []).push(r.cpu);
  }
}

// Memory: one pod with 1 and with 10 sleeping containers per shim kind. Under
// CRI the containers of a pod share their sandbox's shim (runc's groups by
// the sandbox id annotation, tsrun's serves the whole k8s.io namespace), so
// a pod costs one shim whatever its size.
function shimRssKiB(binary: string): { count: number; kib: number } {
  let count = 0;
  let kib = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
      // Only this kind's: tsrun's daemon may still linger after its pods when runc's are counted.
      if (!cmd.includes(binary) || !cmd.includes(`-address ${sock} `)) continue;
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]);
      count++;
    } catch {
      /* gone */
    }
  }
  return { count, kib };
}
const rssRows: string[] = [];
for (const h of ['tsrun', 'runc']) {
  for (const n of [1, 10]) {
    const name = `m${++seq}-${h}`;
    const sandboxConfig = {
      metadata: { name, uid: name, namespace: 'bench', attempt: 0 },
      logDirectory: join(dir!, 'logs', name),
      linux: { cgroupParent: `/${process.env.BENCH_CGROUP_PARENT ?? 'tsrun-bench-cri'}/${name}`, securityContext: { namespaceOptions: { network: 2 } } },
    };
    mkdirSync(sandboxConfig.logDirectory, { recursive: true });
    const { podSandboxId } = await cri.call('RunPodSandbox', { config: sandboxConfig, runtimeHandler: h });
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { containerId } = await cri.call('CreateContainer', {
        podSandboxId,
        config: { metadata: { name: `c${i}`, attempt: 0 }, image: { image: IMAGE }, command: ['sleep', '1000'], logPath: `c${i}.log` },
        sandboxConfig,
      });
      await cri.call('StartContainer', { containerId });
      ids.push(containerId);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const { count, kib } = shimRssKiB(`containerd-shim-${h}-v2`);
    rssRows.push(`| ${h === 'tsrun' ? 'tsrun shim' : 'runc shim'} | ${n} | ${count} | ${(kib / 1024).toFixed(1)} |`);
    for (const id of ids) {
      await cri.call('StopContainer', { containerId: id, timeout: 0 });
      await cri.call('RemoveContainer', { containerId: id });
    }
    await cri.call('StopPodSandbox', { podSandboxId });
    await cri.call('RemovePodSandbox', { podSandboxId });
  }
}
cri.close();
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`## CRI: RunPodSandbox (host network) + one container of /bin/true, to its exit seen by ContainerStatus: median of ${N}, ms (same run, interleaved; load ${load})\n`);
console.log('| handler | wall ms | vs runc | CPU ms (containerd, shims, runtimes) | vs runc |');
console.log('|---|---|---|---|---|');
for (const h of HANDLERS) {
  const w = median(wall[h]!);
  const c = median(cpu[h]!);
  const name = { tsrun: 'tsrun shim', 'tsrun-cold': 'tsrun shim, cold', 'runc-tsrun': 'runc shim + tsrun', runc: 'runc shim + runc' }[h];
  console.log(
    `| ${name} | ${w.toFixed(0)} | ${(w / median(wall.runc!)).toFixed(2)}x | ${Number.isNaN(c) ? '-' : c.toFixed(0)} | ${Number.isNaN(c) ? '-' : (c / median(cpu.runc!)).toFixed(2) + 'x'} |`,
  );
}
console.log('\n## CRI: shims of one pod with 1 and with 10 sleeping containers\n');
console.log('| shim | containers in the pod | shim processes | their RSS MiB |');
console.log('|---|---|---|---|');
for (const r of rssRows) console.log(r);
