import { configError } from '../errors.js';
import { CAPABILITIES, capabilityMask, capabilityNames } from '../spec/capabilities.js';
import { PR } from '../linux/constants.js';
import { Op } from '../native/generated/instruction-set.js';
import type { Process } from '../spec/types.js';

export interface CredentialFacts {
  capLastCap: number;
  boundingSet: bigint;
  /** /proc/PID/setgroups is "deny" in the user namespace: setgroups(2) fails, so it is not called. */
  setgroupsDenied?: boolean;
}

/**
 * Ops that switch to the process's user and capability sets, in the order the
 * kernel needs: drop from the bounding set while CAP_SETPCAP is held; keep
 * capabilities across the uid change; set groups and gid before uid; then the
 * effective/permitted/inheritable sets; then the ambient set, which must be a
 * subset of permitted and inheritable.
 */
export function planCredentials(proc: Process, facts: CredentialFacts, warnings: string[]): Op[] {
  const caps = proc.capabilities ?? {};
  const host = facts.boundingSet;
  const mask = (set: keyof typeof caps) => {
    const want = capabilityMask(caps[set]);
    const missing = want & ~host;
    if (missing) warnings.push(`/process/capabilities/${set}: ${capabilityNames(missing).join(', ')} not in the host's bounding set; left out`);
    return want & host;
  };
  const bounding = mask('bounding');
  const effective = mask('effective');
  const permitted = mask('permitted');
  const inheritable = mask('inheritable');
  let ambient = mask('ambient');
  // The kernel raises an ambient capability only if it is permitted and inheritable (as runc 1.2: warn, leave out).
  const notAllowed = ambient & ~(permitted & inheritable);
  if (notAllowed) {
    warnings.push(`/process/capabilities/ambient: ${capabilityNames(notAllowed).join(', ')} not in both permitted and inheritable; left out`);
    ambient &= permitted & inheritable;
  }
  const uid = proc.user?.uid ?? 0;
  const gid = proc.user?.gid ?? 0;
  const ops: Op[] = [];

  for (let c = 0; c <= facts.capLastCap; c++) {
    if (!((bounding >> BigInt(c)) & 1n)) ops.push(Op.prctl(`drop ${capName(c)} from the bounding set`, { option: PR.CAPBSET_DROP, arg2: c, arg3: 0, arg4: 0, arg5: 0 }));
  }
  ops.push(Op.prctl('keep capabilities across the uid change', { option: PR.SET_KEEPCAPS, arg2: 1, arg3: 0, arg4: 0, arg5: 0 }));
  const groups = proc.user?.additionalGids ?? [];
  if (!facts.setgroupsDenied) ops.push(Op.setgroups(`setgroups [${groups.join(', ')}]`, { gids: groups }));
  else if (groups.length) {
    // runc: "cannot set any additional groups in a rootless container".
    throw configError(
      `/process/user/additionalGids`,
      `cannot be set: the user namespace denies setgroups (an unprivileged caller mapping only its own gid; map more gids through /etc/subgid to allow it)`,
    );
  }
  ops.push(Op.setresgid(`setresgid ${gid}`, { gid }));
  ops.push(Op.setresuid(`setresuid ${uid}`, { uid }));
  ops.push(Op.prctl('stop keeping capabilities', { option: PR.SET_KEEPCAPS, arg2: 0, arg3: 0, arg4: 0, arg5: 0 }));
  ops.push(Op.capset(`capset effective=${hex(effective)} permitted=${hex(permitted)} inheritable=${hex(inheritable)}`, { effective, permitted, inheritable }));
  for (let c = 0; c <= facts.capLastCap; c++) {
    if ((ambient >> BigInt(c)) & 1n) ops.push(Op.prctl(`raise ambient ${capName(c)}`, { option: PR.CAP_AMBIENT, arg2: PR.CAP_AMBIENT_RAISE, arg3: c, arg4: 0, arg5: 0 }));
  }
  return ops;
}

function capName(c: number): string {
  return CAPABILITIES[c] ?? `capability ${c}`;
}

function hex(v: bigint): string {
  return '0x' + v.toString(16);
}
