import { TsrunError } from '../errors.js';
import type { LsmFacts } from '../linux/lsm.js';
import { Op } from '../native/generated/instruction-set.js';
import type { Process } from '../spec/types.js';

/**
 * process.apparmorProfile and process.selinuxLabel: asked for at the next
 * execve (the process's own attr/exec file), as runc does. A host without
 * the module cannot confine the process as the config asks: refused, never
 * silently dropped (runc refuses too). "" means none, as in runc.
 */
export function planProcessLabels(proc: Process, lsm: LsmFacts, at = '/process'): Op[] {
  const ops: Op[] = [];
  if (proc.apparmorProfile) {
    const pointer = `${at}/apparmorProfile`;
    if (!lsm.apparmor) throw unsupported(pointer, 'AppArmor', '/sys/module/apparmor/parameters/enabled is not Y');
    ops.push(Op.writeFile(`AppArmor profile ${proc.apparmorProfile} at exec`, { path: lsm.apparmorExecAttr, data: Buffer.from(`exec ${proc.apparmorProfile}`) }));
  }
  if (proc.selinuxLabel) {
    const pointer = `${at}/selinuxLabel`;
    if (!lsm.selinux) throw unsupported(pointer, 'SELinux', 'no selinuxfs at /sys/fs/selinux');
    ops.push(Op.writeFile(`SELinux label ${proc.selinuxLabel} at exec`, { path: '/proc/self/attr/exec', data: Buffer.from(proc.selinuxLabel) }));
  }
  return ops;
}

/** linux.mountLabel: the SELinux context= option of the container's filesystem mounts. */
export function checkMountLabel(label: string | undefined, lsm: LsmFacts): void {
  if (label && !lsm.selinux) throw unsupported('/linux/mountLabel', 'SELinux', 'no selinuxfs at /sys/fs/selinux');
}

function unsupported(pointer: string, module: string, why: string): TsrunError {
  return new TsrunError(`${pointer}: this host has no ${module} (${why}): the container cannot be confined as the config asks`, { code: 'ERR_UNSUPPORTED', pointer });
}
