import { create } from '@bufbuild/protobuf';
import { TsrunError } from '../errors.js';
import { criuRequest, criuVersion, CriuFailed, missingFeatures } from '../checkpoint/criu.js';
import { dumpExternalNamespaces, dumpMounts } from '../checkpoint/external.js';
import { closeDir, criuLogErrors, openDir, writeDescriptors } from '../checkpoint/images.js';
import { cgroupMode } from '../checkpoint/cg-mode.js';
import type { CheckpointOptions } from '../checkpoint/options.js';
import { criu_optsSchema, criu_page_server_infoSchema, criu_req_type } from '../checkpoint/generated/rpc_pb.js';
import { checkRlimitAccess } from '../checkpoint/preflight.js';
import { reopenCgroupHandle } from '../cgroups/handle.js';
import { lockDir } from '../state/lock.js';
import { containerStatus } from '../state/status.js';
import type { ContainerRecord } from '../state/store.js';
import type { RuntimeContext } from './context.js';
import { deleteContainer } from './delete.js';

export type { CheckpointOptions };

/**
 * `tsrun checkpoint`: CRIU dumps the running container into the image
 * directory. Unless leaveRunning (or preDump), the container is then gone,
 * and its cgroup and state are removed as runc removes them.
 */
export async function checkpoint(ctx: RuntimeContext, id: string, opts: CheckpointOptions = {}): Promise<void> {
  const rec = ctx.store.load(id);
  const dir = ctx.store.dir(id);
  const binary = opts.criu ?? 'criu';
  let unlock: (() => void) | undefined = await lockDir(dir);
  let images: ReturnType<typeof openDir> | undefined;
  let work: ReturnType<typeof openDir> | undefined;
  try {
    const status = containerStatus(rec, dir);
    if (status !== 'running') throw new TsrunError(`cannot checkpoint a ${status} container: only a running one can be checkpointed`, { code: 'ERR_BAD_STATE' });
    const cgMode = cgroupMode(opts.manageCgroupsMode);
    const ps = opts.pageServer ? pageServer(opts.pageServer) : undefined;
    if (opts.statusFd !== undefined && !opts.lazyPages) throw new TsrunError('--status-fd only goes with --lazy-pages');
    checkRlimitAccess(rec.cgroup ? reopenCgroupHandle(rec.cgroup).pids() : [rec.pid]);
    await criuVersion(binary);
    await checkFeatures(binary, opts);

    images = openDir(opts.imagePath ?? 'checkpoint', 'image path', true);
    work = opts.workPath ? openDir(opts.workPath, 'work path', true) : undefined;
    const o = create(criu_optsSchema, {
      imagesDirFd: images.fd,
      logLevel: 4,
      logFile: opts.preDump ? 'pre-dump.log' : 'dump.log',
      root: rec.rootfs,
      pid: rec.pid,
      manageCgroups: true,
      manageCgroupsMode: cgMode,
      notifyScripts: true,
      shellJob: opts.shellJob ?? false,
      leaveRunning: opts.leaveRunning ?? false,
      tcpEstablished: opts.tcpEstablished ?? false,
      tcpSkipInFlight: opts.tcpSkipInFlight ?? false,
      linkRemap: opts.linkRemap ?? false,
      extUnixSk: opts.extUnixSk ?? false,
      fileLocks: opts.fileLocks ?? false,
      emptyNs: opts.emptyNs ?? 0,
      // A terminal's master stays with whoever holds the console: restore makes a new pty pair.
      orphanPtsMaster: true,
      autoDedup: opts.autoDedup ?? false,
      lazyPages: opts.lazyPages ?? false,
      external: dumpExternalNamespaces(rec.config),
    });
    if (work) o.workDirFd = work.fd;
    if (ps) o.ps = ps;
    if (opts.parentPath) {
      o.parentImg = opts.parentPath;
      o.trackMem = true;
    }
    if (opts.statusFd !== undefined) o.statusFd = opts.statusFd;
    const freezer = freezerDir(rec);
    if (freezer) o.freezeCgroup = freezer;
    if (!opts.preDump) {
      o.extMnt = dumpMounts(rec.config, rec.bundle, rec.cgroup);
      o.external.push(...writeDescriptors(images.path, rec.pid));
    }
    try {
      await criuRequest(opts.preDump ? criu_req_type.PRE_DUMP : criu_req_type.DUMP, o, { binary, stdio: ['ignore', 'ignore', 'ignore'] });
    } catch (e) {
      if (!(e instanceof CriuFailed)) throw e;
      const logDir = (work ?? images).path;
      const log = criuLogErrors(logDir, o.logFile);
      throw new TsrunError(`checkpoint of ${id} failed (log: ${logDir}/${o.logFile})${log ? `:\n${log}` : ''}`, {
        code: 'ERR_SYSCALL',
        syscall: 'criu dump',
        path: `${logDir}/${o.logFile}`,
        cause: e,
      });
    }
  } finally {
    closeDir(images);
    closeDir(work);
    unlock();
    unlock = undefined;
  }
  // Dumped and stopped: what is left is a stopped container, removed as runc does.
  if (!opts.leaveRunning && !opts.preDump) await deleteContainer(ctx, id, { force: true });
}

/** The freezer CRIU freezes the tree with (faster and race-free against forks, versus ptrace). */
function freezerDir(rec: ContainerRecord): string | undefined {
  const cg = rec.cgroup;
  if (!cg) return undefined;
  return cg.mode === 'v2' ? cg.dirs.unified : cg.dirs.freezer;
}

function pageServer(spec: string): ReturnType<typeof create<typeof criu_page_server_infoSchema>> {
  const i = spec.lastIndexOf(':');
  const port = Number(spec.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new TsrunError(`invalid --page-server ${JSON.stringify(spec)}: use ADDRESS:PORT`);
  return create(criu_page_server_infoSchema, { address: spec.slice(0, i), port });
}

/** Refuses, before anything is dumped, what this kernel or CRIU cannot do. */
async function checkFeatures(binary: string, opts: CheckpointOptions): Promise<void> {
  if (!opts.preDump && !opts.lazyPages) return;
  const missing = await missingFeatures(binary, { memTrack: opts.preDump, lazyPages: opts.lazyPages });
  if (missing.includes('memTrack')) {
    throw new TsrunError('--pre-dump needs memory change tracking (soft-dirty pages, CONFIG_MEM_SOFT_DIRTY), which this kernel or CRIU lacks', { code: 'ERR_UNSUPPORTED' });
  }
  if (missing.includes('lazyPages')) {
    throw new TsrunError('--lazy-pages needs userfaultfd support, which this kernel or CRIU lacks', { code: 'ERR_UNSUPPORTED' });
  }
}
