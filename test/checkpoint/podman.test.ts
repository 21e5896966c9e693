// podman `container checkpoint` / `container restore` with tsrun as the
// runtime, and runc side by side as the reference, in one private podman
// (own root, runroot, tmpdir, vfs storage, cgroupfs manager, config files):
// nothing touches the host's podman. podman finds CRIU on PATH (the v4.2
// that `make criu` builds) and calls the runtime's `checkpoint` and, through
// conmon, `restore --detach`. The image is the busybox rootfs `podman import`ed.
//
// Scenarios, for runc and then tsrun: a counting container is checkpointed
// (podman shows it exited) and restored in place (running, the count goes on
// from where it was, the start line was written once: the same process, not
// a restart); then checkpointed with --export to a tarball and restored from
// it with --import under a new name (what live migration does).
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ROOTFS, TSRUN, uniqueId, unmountBelow, waitFor } from '../helpers.js';
import { CRIU, SKIP } from './criu.js';

t.setTimeout(900_000);

const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
const RUNC = which('runc');
const PODMAN = which('podman');
const skip =
  SKIP ?? (!PODMAN ? 'podman is not installed (make criu installs it with the other checkpoint test packages)' : !RUNC ? 'runc (the reference) is not installed (make criu installs it)' : false);

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A private podman: every call gets the private root, runroot, tmpdir,
 * storage and config, PATH with CRIU first, and no fd above 2 (conmon would
 * keep our pipes). Output goes through files: conmon outlives `run -d`.
 */
function privatePodman(t: Test) {
  const E = mkdtempSync('/tmp/tsrun-test-podman-');
  const tag = uniqueId(`criu2pm`).replace(/[^a-z0-9-]/g, '');
  const cgParent = `/${tag}`;
  for (const d of ['bin', 'tmp', 'net', 'root', 'runroot', 'rt-runc', 'rt-tsrun']) mkdirSync(join(E, d), { recursive: true });
  symlinkSync(CRIU, join(E, 'bin', 'criu'));
  // podman gives the runtime no --root: the wrappers keep each one's state private.
  for (const [name, bin] of [
    ['runc', RUNC],
    ['tsrun', TSRUN],
  ] as const) {
    writeFileSync(join(E, 'bin', name), `#!/bin/sh\nexec '${bin}' --root '${E}/rt-${name}' "$@"\n`);
    chmodSync(join(E, 'bin', name), 0o755);
  }
  const hard = (l: string) => spawnSync('sh', ['-c', `ulimit -H${l}`], { encoding: 'utf8' }).stdout.trim();
  const nproc = hard('u') === 'unlimited' ? 32768 : Math.min(32768, Number(hard('u')));
  writeFileSync(
    join(E, 'containers.conf'),
    `[containers]
netns = "none"
log_driver = "k8s-file"
# podman asks for 1048576 open files, more than this host lets a process raise to (no CAP_SYS_RESOURCE).
default_ulimits = ["nofile=${hard('n')}:${hard('n')}", "nproc=${nproc}:${nproc}"]
[network]
network_config_dir = "${E}/net"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${E}/events.log"
tmp_dir = "${E}/tmp"
static_dir = "${E}/root/libpod"
volume_path = "${E}/root/volumes"
lock_type = "file"
runtime_supports_json = ["runc", "tsrun"]
[engine.runtimes]
runc = ["${E}/bin/runc"]
tsrun = ["${E}/bin/tsrun"]
`,
  );
  writeFileSync(join(E, 'storage.conf'), `[storage]\ndriver = "vfs"\nrunroot = "${E}/runroot"\ngraphroot = "${E}/root"\n`);
  const env = {
    ...process.env,
    PATH: `${E}/bin:${process.env.PATH}`,
    CONTAINERS_CONF: join(E, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(E, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: '/dev/null',
  };
  const global = ['--root', join(E, 'root'), '--runroot', join(E, 'runroot'), '--tmpdir', join(E, 'tmp'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  let n = 0;
  const pm = (args: string[], input?: string, timeoutMs = 120_000): Promise<Out> => {
    const o = join(E, `out.${++n}`);
    const e = join(E, `err.${n}`);
    const fo = openSync(o, 'w');
    const fe = openSync(e, 'w');
    const fi = input ? openSync(input, 'r') : 'ignore';
    return new Promise((res) => {
      const child = spawn(PODMAN, [...global, ...args], { env, stdio: [fi, fo, fe] });
      for (const fd of [fo, fe, fi]) if (typeof fd === 'number') closeSync(fd);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        res({ code: code ?? (signal ? 137 : 1), stdout: readFileSync(o, 'utf8'), stderr: readFileSync(e, 'utf8') });
        rmSync(o, { force: true });
        rmSync(e, { force: true });
      });
    });
  };
  t.teardown(async () => {
    await pm(['rm', '-a', '-f', '-t', '0']);
    // conmons podman lost track of (a failed restore): ours by their argv.
    for (const p of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        if (argv.startsWith('/usr/bin/conmon') && argv.includes(E)) process.kill(Number(p), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const rt of ['runc', 'tsrun']) {
      const root = join(E, `rt-${rt}`);
      for (const id of existsSync(root) ? readdirSync(root) : []) spawnSync(join(E, 'bin', rt), ['delete', '--force', id]);
    }
    unmountBelow(E);
    rmSync(E, { recursive: true, force: true });
    removeCgroups(tag);
  });
  return { E, pm, cgParent };
}

/** The cgroup parent's directories in every hierarchy, deepest first (conmon's live below it). */
function removeCgroups(tag: string): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const top = join('/sys/fs/cgroup', h, tag);
    const dirs: string[] = [];
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      dirs.push(d);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    };
    walk(top);
    for (const d of dirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        /* still busy: reported by nothing, removed by the next run's host cleanup */
      }
    }
  }
}

// Writes "start" once when the process starts, then counts: a restart would
// write a second line and count from 0 again.
const SCRIPT = 'echo start >> /starts; i=0; while true; do echo $i > /counter; i=$((i+1)); sleep 0.1; done';

async function scenario(t: Test, pm: ReturnType<typeof privatePodman>['pm'], E: string, cgParent: string, rt: 'runc' | 'tsrun'): Promise<string | undefined> {
  const name = `${rt}-count`;
  // The shell truncates /counter before it writes: read again when it was caught empty.
  const count = async (c = name) => {
    for (let i = 0; i < 5; i++) {
      const r = await pm(['exec', c, 'cat', '/counter']);
      const n = parseInt(r.stdout, 10);
      if (r.code === 0 && !Number.isNaN(n)) return n;
    }
    return -1;
  };
  const status = async (c = name) => (await pm(['inspect', '-f', '{{.State.Status}}', c])).stdout.trim();
  const starts = async (c = name) => (await pm(['exec', c, 'cat', '/starts'])).stdout.trim().split('\n').length;

  const run = await pm(['run', '-d', '--runtime', rt, '--name', name, '--network', 'none', '--cgroup-parent', cgParent, 'localhost/tsrun-criu-test', 'sh', '-c', SCRIPT]);
  t.equal(run.code, 0, `${rt}: podman run -d ${run.stderr}`);
  t.ok(await waitFor(async () => (await count()) >= 20, 60_000), `${rt}: counting`);
  const before = await count();

  const ck = await pm(['container', 'checkpoint', name]);
  if (ck.code !== 0) return `podman container checkpoint with ${rt} failed: ${ck.stderr.trim().split('\n').pop()}`;
  t.equal(await status(), 'exited', `${rt}: checkpoint stops it (podman shows it exited)`);
  const rs = await pm(['container', 'restore', name]);
  t.equal(rs.code, 0, `${rt}: podman container restore ${rs.stderr}`);
  t.equal(await status(), 'running', `${rt}: running after restore`);
  const after = await count();
  t.ok(after >= before, `${rt}: the count goes on (${before} before the checkpoint, ${after} after the restore)`);
  t.equal(await starts(), 1, `${rt}: the same process, not a restart (one start line)`);

  // Export to a tarball, restore it under a new name: the original is gone, the copy counts on.
  const tarball = join(E, `${rt}.tar.gz`);
  const mid = await count();
  const ex = await pm(['container', 'checkpoint', '--export', tarball, name]);
  t.equal(ex.code, 0, `${rt}: checkpoint --export ${ex.stderr}`);
  t.ok(existsSync(tarball), `${rt}: the tarball is written`);
  const copy = `${rt}-copy`;
  const im = await pm(['container', 'restore', '--import', tarball, '--name', copy]);
  t.equal(im.code, 0, `${rt}: restore --import --name ${im.stderr}`);
  t.equal(await status(copy), 'running', `${rt}: the imported copy runs`);
  const c = await count(copy);
  t.ok(c >= mid, `${rt}: and counts on from the exported value (${mid} before, ${c} now)`);
  t.equal(await starts(copy), 1, `${rt}: the copy did not restart either`);

  t.equal((await pm(['rm', '-f', '-t', '0', name, copy])).code, 0, `${rt}: podman rm`);
  t.same(readdirSync(join(E, `rt-${rt}`)), [], `${rt}: no runtime state left`);
  return undefined;
}

t.test('podman container checkpoint/restore: runc (the reference), then tsrun', { skip }, async (t) => {
  const { E, pm, cgParent } = privatePodman(t);
  const tar = join(E, 'rootfs.tar');
  t.equal(spawnSync('tar', ['-C', ROOTFS, '-cf', tar, '.']).status, 0, 'rootfs tarball');
  const imp = await pm(['import', '-', 'localhost/tsrun-criu-test:latest'], tar);
  t.equal(imp.code, 0, `podman import ${imp.stderr}`);
  t.comment(`podman ${(await pm(['--version'])).stdout.trim()}, user ${userInfo().username}`);

  let runcFailed: string | undefined;
  await t.test('runc', async (t) => {
    runcFailed = await scenario(t, pm, E, cgParent, 'runc');
    if (runcFailed) t.comment(`the reference fails here: ${runcFailed}`);
    t.pass('reference run done');
  });
  await t.test('tsrun', { skip: runcFailed ? `podman cannot checkpoint on this host, runc fails too: ${runcFailed}` : false }, async (t) => {
    const failed = await scenario(t, pm, E, cgParent, 'tsrun');
    t.notOk(failed, failed ?? 'tsrun checkpointed');
  });
});
