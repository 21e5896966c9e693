import { MS } from '../linux/constants.js';

/** What a mount's options list means: flags to set, propagation changes, and fs data. */
export interface ParsedMountOptions {
  flags: number;
  /** Propagation flags, each applied by its own mount(2) call after the mount. */
  propagation: number[];
  /** Filesystem-specific options, passed as mount(2) data. */
  data: string[];
  bind: boolean;
  recursive: boolean;
  /** tmpcopyup (runc and crun): the image's directory is copied into the new tmpfs. */
  copyUp: boolean;
}

// [set, clear] per option, as mount(8) reads them.
const FLAG_OPTIONS: Record<string, [number, number]> = {
  defaults: [0, 0],
  ro: [MS.RDONLY, 0],
  rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0],
  suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0],
  dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0],
  exec: [0, MS.NOEXEC],
  sync: [MS.SYNCHRONOUS, 0],
  async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0],
  remount: [MS.REMOUNT, 0],
  mand: [MS.MANDLOCK, 0],
  nomand: [0, MS.MANDLOCK],
  atime: [0, MS.NOATIME],
  noatime: [MS.NOATIME, 0],
  diratime: [0, MS.NODIRATIME],
  nodiratime: [MS.NODIRATIME, 0],
  relatime: [MS.RELATIME, 0],
  norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0],
  nostrictatime: [0, MS.STRICTATIME],
  lazytime: [MS.LAZYTIME, 0],
  nolazytime: [0, MS.LAZYTIME],
  iversion: [MS.I_VERSION, 0],
  noiversion: [0, MS.I_VERSION],
  nosymfollow: [MS.NOSYMFOLLOW, 0],
  symfollow: [0, MS.NOSYMFOLLOW],
};

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** Options this runtime knows but does not implement yet: refused rather than silently ignored. */
const UNSUPPORTED = new Set(['idmap', 'ridmap', 'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnoatime', 'ratime']);

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, propagation: [], data: [], bind: false, recursive: false, copyUp: false };
  for (const o of options) {
    if (o === 'bind' || o === 'rbind') {
      out.bind = true;
      out.recursive ||= o === 'rbind';
      out.flags |= MS.BIND | (o === 'rbind' ? MS.REC : 0);
    } else if (o in FLAG_OPTIONS) {
      const [set, clear] = FLAG_OPTIONS[o]!;
      out.flags = (out.flags & ~clear) | set;
    } else if (o in PROPAGATION) {
      out.propagation.push(PROPAGATION[o]!);
    } else if (UNSUPPORTED.has(o)) {
      throw new Error(`mount option ${JSON.stringify(o)} is not supported yet`);
    } else if (o === 'tmpcopyup') {
      out.copyUp = true;
    } else {
      out.data.push(o);
    }
  }
  return out;
}

/** Readable names of mount flags, for dry-run output. */
export function describeMountFlags(flags: number): string {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(MS)) if (flags & bit) names.push(name.toLowerCase());
  return names.join('|') || '0';
}

/** Every option name this runtime recognises (for `tsrun features`). */
export function knownMountOptions(): string[] {
  return [...Object.keys(FLAG_OPTIONS), 'bind', 'rbind', 'tmpcopyup', ...Object.keys(PROPAGATION)].sort();
}
