import { existsSync, readFileSync } from 'node:fs';

/** The Linux security modules a container's labels and profiles need, as this host has them. */
export interface LsmFacts {
  /** AppArmor is enabled: process.apparmorProfile can be applied. */
  apparmor: boolean;
  /** SELinux is enabled (selinuxfs mounted): process.selinuxLabel and linux.mountLabel can be applied. */
  selinux: boolean;
  /**
   * Where a process asks for its profile at the next execve: the
   * AppArmor-specific attr file when the kernel has it (5.8+, stacked LSMs),
   * else the shared one. Paths under /proc/self, seen from the container.
   */
  apparmorExecAttr: string;
}

/**
 * As runc decides: AppArmor by its module parameter, SELinux by a mounted
 * selinuxfs. Read once per process: the modules a kernel booted with stay.
 */
export function hostLsm(): LsmFacts {
  return (facts ??= readLsm());
}

let facts: LsmFacts | undefined;

function readLsm(): LsmFacts {
  let apparmor = false;
  try {
    apparmor = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    /* no AppArmor module */
  }
  return {
    apparmor,
    selinux: existsSync('/sys/fs/selinux/enforce'),
    apparmorExecAttr: existsSync('/proc/self/attr/apparmor/exec') ? '/proc/self/attr/apparmor/exec' : '/proc/self/attr/exec',
  };
}
