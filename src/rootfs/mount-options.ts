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
  /** Recursive attributes (rro, rnosuid, ...): mount_setattr(2) set and clear masks, AT_RECURSIVE. */
  attrSet: number;
  attrClr: number;
  /** idmap or ridmap (runtime-spec 1.2): an idmapped bind mount; ridmap idmaps every mount below it too. */
  idmap: 'idmap' | 'ridmap' | null;
}

/** mount_setattr(2)'s MOUNT_ATTR_* bits (linux/mount.h). */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  /** The atime mode field: relatime (0), noatime, strictatime. */
  _ATIME: 0x70,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;

const A = MOUNT_ATTR;
// [set, clear] per recursive option (runc's list). An atime option sets the
// whole atime field, so it clears _ATIME and sets its mode.
const RECURSIVE_OPTIONS: Record<string, [number, number]> = {
  rro: [A.RDONLY, 0],
  rrw: [0, A.RDONLY],
  rnosuid: [A.NOSUID, 0],
  rsuid: [0, A.NOSUID],
  rnodev: [A.NODEV, 0],
  rdev: [0, A.NODEV],
  rnoexec: [A.NOEXEC, 0],
  rexec: [0, A.NOEXEC],
  rnodiratime: [A.NODIRATIME, 0],
  rdiratime: [0, A.NODIRATIME],
  rnosymfollow: [A.NOSYMFOLLOW, 0],
  rsymfollow: [0, A.NOSYMFOLLOW],
  rrelatime: [A.RELATIME, A._ATIME],
  rnoatime: [A.NOATIME, A._ATIME],
  rstrictatime: [A.STRICTATIME, A._ATIME],
  // Leaving an atime mode means the kernel's default, relatime; "no relatime" means strictatime.
  ratime: [A.RELATIME, A._ATIME],
  rnostrictatime: [A.RELATIME, A._ATIME],
  rnorelatime: [A.STRICTATIME, A._ATIME],
};

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

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, propagation: [], data: [], bind: false, recursive: false, copyUp: false, attrSet: 0, attrClr: 0, idmap: null };
  for (const o of options) {
    if (o === 'bind' || o === 'rbind') {
      out.bind = true;
      out.recursive ||= o === 'rbind';
      out.flags |= MS.BIND | (o === 'rbind' ? MS.REC : 0);
    } else if (o in FLAG_OPTIONS) {
      const [set, clear] = FLAG_OPTIONS[o]!;
      out.flags = (out.flags & ~clear) | set;
    } else if (o in RECURSIVE_OPTIONS) {
      const [set, clear] = RECURSIVE_OPTIONS[o]!;
      // A later option wins over an earlier one, as with the plain flags; the
      // atime field is only ever cleared whole (the kernel refuses a part).
      out.attrSet = (out.attrSet & ~clear) | set;
      out.attrClr = (out.attrClr & ~(set & ~A._ATIME)) | clear;
    } else if (o in PROPAGATION) {
      out.propagation.push(PROPAGATION[o]!);
    } else if (o === 'idmap' || o === 'ridmap') {
      out.idmap = o;
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
  return [...Object.keys(FLAG_OPTIONS), 'bind', 'rbind', 'tmpcopyup', 'idmap', 'ridmap', ...Object.keys(RECURSIVE_OPTIONS), ...Object.keys(PROPAGATION)].sort();
}
