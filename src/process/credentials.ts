import { CAPABILITIES, capabilityMask, capabilityNames } from '../spec/capabilities.js';
import { PR } from '../linux/constants.js';
import { op, type Op } from '../plan/op.js';
import { OpCode } from '../plan/opcodes.js';
import type { Process } from '../spec/types.js';

export interface CredentialFacts {
  capLastCap: number;
  boundingSet: bigint;
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
    if (!((bounding >> BigInt(c)) & 1n)) ops.push(op(OpCode.PRCTL, `drop ${capName(c)} from the bounding set`, [PR.CAPBSET_DROP, c, 0, 0, 0]));
  }
  ops.push(op(OpCode.PRCTL, 'keep capabilities across the uid change', [PR.SET_KEEPCAPS, 1, 0, 0, 0]));
  const groups = proc.user?.additionalGids ?? [];
  ops.push(op(OpCode.SETGROUPS, `setgroups [${groups.join(', ')}]`, groups));
  ops.push(op(OpCode.SETRESGID, `setresgid ${gid}`, [gid]));
  ops.push(op(OpCode.SETRESUID, `setresuid ${uid}`, [uid]));
  ops.push(op(OpCode.PRCTL, 'stop keeping capabilities', [PR.SET_KEEPCAPS, 0, 0, 0, 0]));
  ops.push(
    op(
      OpCode.CAPSET,
      `capset effective=${hex(effective)} permitted=${hex(permitted)} inheritable=${hex(inheritable)}`,
      [effective, permitted, inheritable],
    ),
  );
  for (let c = 0; c <= facts.capLastCap; c++) {
    if ((ambient >> BigInt(c)) & 1n) ops.push(op(OpCode.PRCTL, `raise ambient ${capName(c)}`, [PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, c, 0, 0]));
  }
  return ops;
}

function capName(c: number): string {
  return CAPABILITIES[c] ?? `capability ${c}`;
}

function hex(v: bigint): string {
  return '0x' + v.toString(16);
}
