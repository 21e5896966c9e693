import { mkdirSync, openSync, closeSync, readFileSync, rmdirSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { TsrunError } from '../errors.js';
import { openCgroup } from '../cgroups/index.js';
import { dirsToCreate } from '../cgroups/planned.js';
import { effectiveResources } from '../cgroups/device-policy.js';
import type { CgroupManager } from '../cgroups/types.js';
import { criuRequest, criuVersion, CriuFailed, missingFeatures, type Notification } from '../checkpoint/criu.js';
import { EXTERNAL_NS, externalNsKey, restoreMounts } from '../checkpoint/external.js';
import { closeDir, criuLogErrors, inheritedDescriptor, openDir, readCheckpoint } from '../checkpoint/images.js';
import { makeRestoreMountpoints } from '../checkpoint/mountpoints.js';
import { cgroupMode } from '../checkpoint/cg-mode.js';
import type { RestoreOptions } from '../checkpoint/options.js';
import { cgroup_rootSchema, criu_optsSchema, criu_req_type, inherit_fdSchema, join_namespaceSchema, type criu_opts } from '../checkpoint/generated/rpc_pb.js';
import { runHooks } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import { rbindPrivate, umountDetach } from '../linux/libc.js';
import { readProcStat } from '../linux/proc.js';
import { reapIfExited, sendFdTo } from '../linux/unix-socket.js';
import { loadBundle } from '../spec/load.js';
import type { Spec } from '../spec/types.js';
import { lockDir } from '../state/lock.js';
import { checkId, type ContainerRecord } from '../state/store.js';
import type { RuntimeContext } from './context.js';
import { deleteContainer } from './delete.js';
import { writePidFile } from './shared.js';
import { killAndWait } from './wait.js';

export type { RestoreOptions };

/**
 * `tsrun restore`: makes a new container ID from a checkpoint. Everything is
 * checked before anything is made; then the state directory (state.json
 * first, so `delete --force` can clean up after a killed restore), the
 * cgroups with the config's limits, the rootfs bound where CRIU wants a mount
 * point, and CRIU restores the tree into them as our child. Any failure
 * removes all of it. Detached, resolves with 0 once restored; else waits for
 * the init to exit and resolves with its status, as `run` does.
 */
export async function restore(ctx: RuntimeContext, id: string, opts: RestoreOptions = {}): Promise<number> {
  checkId(id);
  const binary = opts.criu ?? 'criu';
  const imagePath = resolve(opts.imagePath ?? 'checkpoint');
  const descriptors = readCheckpoint(imagePath);
  const { spec, bundle, rootfs } = loadBundle(opts.bundle ?? '.');
  const terminal = spec.process?.terminal === true;
  if (terminal && !opts.consoleSocket)
    throw new TsrunError('/process/terminal: restoring a terminal container needs --console-socket for the new pty master', { code: 'ERR_INVALID_ARGUMENT', pointer: '/process/terminal' });
  if (!terminal && opts.consoleSocket)
    throw new TsrunError('--console-socket: process.terminal is not set, so there is no terminal to send', { code: 'ERR_INVALID_ARGUMENT', pointer: '/process/terminal' });
  const cgMode = cgroupMode(opts.manageCgroupsMode);
  await criuVersion(binary);
  if (opts.lazyPages && (await missingFeatures(binary, { lazyPages: true })).length) {
    throw new TsrunError('--lazy-pages needs userfaultfd support, which this kernel or CRIU lacks', { code: 'ERR_UNSUPPORTED' });
  }
  const store = ctx.store;
  if (store.exists(id)) throw new TsrunError(`container with id ${JSON.stringify(id)} already exists`, { code: 'ERR_EXISTS' });

  const dir = store.makeDir(id);
  const unlock = await lockDir(dir);
  const record: ContainerRecord = {
    ociVersion: spec.ociVersion,
    id,
    pid: 0,
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: ownerName(),
    annotations: spec.annotations,
    cgroup: null,
    config: spec,
  };
  let cg: CgroupManager | undefined;
  let criuRoot: string | undefined;
  let images: ReturnType<typeof openDir> | undefined;
  let work: ReturnType<typeof openDir> | undefined;
  const nsFds: number[] = [];
  try {
    // CRIU puts the restored tasks into cgroups itself; a systemd scope would need them first.
    if (ctx.systemdCgroup) throw new TsrunError('restore with --systemd-cgroup is not supported: restore with the cgroupfs driver', { code: 'ERR_UNSUPPORTED' });
    const cgroup = openCgroup({ cgroupsPath: spec.linux?.cgroupsPath, id });
    cg = cgroup;
    record.cgroup = { ...cgroup.record, created: dirsToCreate(cgroup.record) };
    await store.write(record);
    await cgroup.create();
    record.cgroup = cgroup.record;
    await store.write(record);
    for (const w of cgroup.setResources(effectiveResources(spec.linux?.resources))) ctx.log.warn(w);

    images = openDir(imagePath, 'image path', false);
    work = opts.workPath ? openDir(opts.workPath, 'work path', true) : undefined;
    makeRestoreMountpoints(spec, bundle, rootfs);
    // CRIU wants the root to be a mount point whose parent is not overmounted.
    criuRoot = join(dir, 'criu-root');
    mkdirSync(criuRoot, { mode: 0o755 });
    rbindPrivate(rootfs, criuRoot);

    const o = create(criu_optsSchema, {
      imagesDirFd: images.fd,
      evasiveDevices: true,
      logLevel: 4,
      logFile: 'restore.log',
      rstSibling: true,
      root: criuRoot,
      manageCgroups: true,
      manageCgroupsMode: cgMode,
      notifyScripts: true,
      shellJob: opts.shellJob ?? false,
      extUnixSk: opts.extUnixSk ?? false,
      tcpEstablished: opts.tcpEstablished ?? false,
      fileLocks: opts.fileLocks ?? false,
      emptyNs: opts.emptyNs ?? 0,
      orphanPtsMaster: true,
      autoDedup: opts.autoDedup ?? false,
      lazyPages: opts.lazyPages ?? false,
      extMnt: restoreMounts(spec, bundle, cgroup.record),
    });
    if (work) o.workDirFd = work.fd;
    joinNamespaces(spec, o, nsFds);
    // The init's stdio pipes and host files are handed back by name: CRIU gets ours as its stdio.
    descriptors.forEach((name, fd) => {
      if (inheritedDescriptor(name)) o.inheritFd.push(create(inherit_fdSchema, { key: name, fd }));
    });

    const onNotify = async (n: Notification) => {
      switch (n.script) {
        case 'setup-namespaces': {
          // As runc: the restored tree's namespaces exist, nothing runs yet.
          const state = hookState({ ...record, pid: n.pid }, 'created');
          await runHooks('prestart', spec.hooks?.prestart, state);
          await runHooks('createRuntime', spec.hooks?.createRuntime, state);
          break;
        }
        case 'post-restore':
          record.pid = n.pid;
          record.startTime = readProcStat(n.pid)?.startTime;
          await store.write(record);
          break;
        case 'orphan-pts-master':
          if (!n.fds.length) throw new TsrunError('criu sent no pty master for the terminal', { code: 'ERR_SYSCALL', syscall: 'criu restore' });
          sendFdTo(opts.consoleSocket!, n.fds[0]!, '/dev/ptmx');
          break;
      }
    };
    try {
      const resp = await criuRequest(criu_req_type.RESTORE, o, {
        binary,
        stdio: ['inherit', 'inherit', 'inherit'],
        extraFds: nsFds,
        // As runc: CRIU itself goes into the container's cgroups and restores the tree there.
        started: (criuPid) => {
          cgroup.addProcess(criuPid);
          o.cgRoot = cgroupRoots(criuPid);
        },
        onNotify,
      });
      if (!record.pid && resp.restore?.pid) {
        record.pid = resp.restore.pid;
        record.startTime = readProcStat(record.pid)?.startTime;
        await store.write(record);
      }
    } catch (e) {
      if (!(e instanceof CriuFailed)) throw e;
      const logDir = (work ?? images).path;
      const log = criuLogErrors(logDir, 'restore.log');
      throw new TsrunError(`restore of ${id} failed (log: ${logDir}/restore.log)${log ? `:\n${log}` : ''}`, {
        code: 'ERR_SYSCALL',
        syscall: 'criu restore',
        path: `${logDir}/restore.log`,
        cause: e,
      });
    }
    if (!record.pid) throw new TsrunError('criu restored nothing: no pid reported', { code: 'ERR_SYSCALL', syscall: 'criu restore' });
    if (opts.pidFile) writePidFile(opts.pidFile, record.pid);
  } catch (e) {
    if (record.pid) await killAndWait(record.pid, record.startTime);
    if (record.pid) reapIfExited(record.pid);
    try {
      await cg?.destroy();
    } catch (err) {
      ctx.log.warn(`cleaning up after a failed restore: ${(err as Error).message}`);
    }
    if (criuRoot) unbind(criuRoot, ctx);
    criuRoot = undefined;
    await store.remove(id);
    throw e;
  } finally {
    for (const fd of nsFds) closeSync(fd);
    closeDir(images);
    closeDir(work);
    if (criuRoot) unbind(criuRoot, ctx);
    unlock();
  }
  if (opts.detach) return 0;
  return waitAndDelete(ctx, id, record.pid);
}

/** Unmounts and removes the bound root (the restored container keeps its own copy of the mount). */
function unbind(criuRoot: string, ctx: RuntimeContext): void {
  try {
    umountDetach(criuRoot);
  } catch {
    /* not mounted: the bind failed */
  }
  try {
    rmdirSync(criuRoot);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ctx.log.warn(`removing ${criuRoot}: ${(e as Error).message}`);
  }
}

/**
 * Namespaces given by path: network and pid are external to the image (the
 * checkpoint recorded them so) and handed to CRIU as fds; the others CRIU
 * joins itself. A cgroup namespace by path CRIU cannot join.
 */
function joinNamespaces(spec: Spec, o: criu_opts, nsFds: number[]): void {
  for (const [i, ns] of (spec.linux?.namespaces ?? []).entries()) {
    if (!ns.path) continue;
    if (EXTERNAL_NS[ns.type]) {
      let fd: number;
      try {
        fd = openSync(ns.path, constants.O_RDONLY);
      } catch (e) {
        throw new TsrunError(`/linux/namespaces/${i}/path: ${ns.type} namespace ${ns.path}: ${(e as NodeJS.ErrnoException).code}`, {
          code: 'ERR_CONFIG_INVALID',
          pointer: `/linux/namespaces/${i}/path`,
          syscall: 'open',
          path: ns.path,
          errno: (e as NodeJS.ErrnoException).code,
        });
      }
      nsFds.push(fd);
      // criu's fd 0-2 are stdio, 3 the RPC socket: the extra fds follow.
      o.inheritFd.push(create(inherit_fdSchema, { key: externalNsKey(ns.type), fd: 3 + nsFds.length }));
    } else if (ns.type === 'cgroup') {
      throw new TsrunError(`/linux/namespaces/${i}/path: CRIU cannot restore into a cgroup namespace given by path (${ns.path})`, {
        code: 'ERR_UNSUPPORTED',
        pointer: `/linux/namespaces/${i}/path`,
      });
    } else {
      o.joinNs.push(create(join_namespaceSchema, { ns: ns.type === 'mount' ? 'mnt' : ns.type, nsFile: ns.path }));
    }
  }
}

/** Each hierarchy's path of the criu process, now in the container's cgroups: where CRIU puts the tree. */
function cgroupRoots(pid: number): ReturnType<typeof create<typeof cgroup_rootSchema>>[] {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, ctrl = '', path = '/'] = line.split(':');
      return create(cgroup_rootSchema, { ctrl, path });
    });
}

/** A foreground restore: waits for the restored init (our child) to exit, then removes the container. */
async function waitAndDelete(ctx: RuntimeContext, id: string, pid: number): Promise<number> {
  let code: number | undefined;
  while ((code = reapIfExited(pid)) === undefined) await new Promise((r) => setTimeout(r, 50));
  await deleteContainer(ctx, id, { force: true });
  return code;
}

function ownerName(): string {
  const uid = process.getuid?.() ?? 0;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] !== '' && Number(f[2]) === uid) return f[0]!;
    }
  } catch {
    /* no passwd */
  }
  return `#${uid}`;
}
