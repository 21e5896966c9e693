// The options of `checkpoint` and `restore`, named after runc's flags. The
// CLI loads this file: it must not import the protobuf code.
import { TsrunError } from '../errors.js';

/** What checkpoint and restore share. */
export interface CriuCommonOptions {
  /** The criu binary (runc's global --criu). Default: `criu` on PATH. */
  criu?: string;
  /** Where the images are (written by checkpoint, read by restore). Default: ./checkpoint. */
  imagePath?: string;
  /** Where CRIU writes its log and temporary files. Default: the image path. */
  workPath?: string;
  /** Allow open TCP connections (CRIU --tcp-established). */
  tcpEstablished?: boolean;
  /** Allow external unix sockets (CRIU --ext-unix-sk). */
  extUnixSk?: boolean;
  /** Allow a shell job: the process's session and terminal are outside the container. */
  shellJob?: boolean;
  /** Dump and restore file locks. */
  fileLocks?: boolean;
  /** CRIU's cgroup mode: soft, full, strict or ignore (--manage-cgroups-mode). */
  manageCgroupsMode?: string;
  /** CLONE_NEW* bits of namespaces to create empty instead of restoring (--empty-ns, e.g. network). */
  emptyNs?: number;
  /** Deduplicate pages against the parent images as they are restored or dumped. */
  autoDedup?: boolean;
  /** Lazy migration: pages are served later by a page server. */
  lazyPages?: boolean;
}

export interface CheckpointOptions extends CriuCommonOptions {
  /** Path of an earlier (pre-)dump, relative to the image path. */
  parentPath?: string;
  /** Keep the container running after the checkpoint. */
  leaveRunning?: boolean;
  /** With lazyPages: an fd that gets a \0 when the lazy page server is ready. */
  statusFd?: number;
  /** ADDRESS:PORT of a page server to send the memory to. */
  pageServer?: string;
  /** Only dump memory, for a later incremental dump (needs soft-dirty tracking). */
  preDump?: boolean;
  /** Skip TCP connections still being set up (CRIU --skip-in-flight). */
  tcpSkipInFlight?: boolean;
  /** Link open unlinked files back where possible (CRIU --link-remap). */
  linkRemap?: boolean;
}

export interface RestoreOptions extends CriuCommonOptions {
  /** Bundle directory whose config.json describes the container. Default: the current directory. */
  bundle?: string;
  /** Unix socket that receives the new pty master of a terminal container. */
  consoleSocket?: string;
  /** Return once restored instead of waiting for the container to exit. */
  detach?: boolean;
  /** File to write the restored init's host pid to. */
  pidFile?: string;
  /** Accepted for runc compatibility: tsrun's foreground restore does not become a subreaper. */
  noSubreaper?: boolean;
  /** Accepted for runc compatibility: CRIU sets up the root itself. */
  noPivot?: boolean;
}

const NS_BITS: Record<string, number> = { network: 0x40000000 };

/** runc's --empty-ns takes namespace names; only network is supported there too. */
export function emptyNsBits(names: readonly string[]): number {
  let bits = 0;
  for (const n of names) {
    const b = NS_BITS[n];
    if (b === undefined) throw new TsrunError(`--empty-ns ${JSON.stringify(n)}: only network can be left empty`);
    bits |= b;
  }
  return bits;
}
