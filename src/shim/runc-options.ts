/**
 * The runtime options containerd hands a shim in CreateTaskRequest.options:
 * runc's Options message (containerd.runc.v1.Options), which ctr
 * (--runc-systemd-cgroup) and the CRI plugin (a runtime's `options` table,
 * `SystemdCgroup = true`) send, as containerd-shim-runc-v2 reads them.
 * systemd_cgroup makes the container's cgroup a transient systemd scope (as
 * `runc --systemd-cgroup`); no_pivot_root and no_new_keyring are runc's
 * flags of the same names. The other fields name runc's binary, state,
 * CRIU and the shim's own cgroup and pipes: they do not apply to tsrun and
 * are reported when set, never silently dropped. Options of another type
 * are refused.
 */
import { Code, TtrpcError } from '../ttrpc/index.js';
import { decode, type Msg } from './codec.js';

const RUNC_OPTIONS = 'containerd.runc.v1.Options';
const NOT_APPLIED = ['shimCgroup', 'ioUid', 'ioGid', 'binaryName', 'root', 'criuPath', 'criuImagePath', 'criuWorkPath'] as const;

export interface CreateOptions {
  systemdCgroup: boolean;
  noPivot: boolean;
  noNewKeyring: boolean;
}

/** The options of a CreateTaskRequest (an Any, or absent); warn gets one line per field set that tsrun does not use. */
export function createOptions(any: Msg | null | undefined, warn: (m: string) => void): CreateOptions {
  const url: string = any?.type_url ?? '';
  if (!url) return { systemdCgroup: false, noPivot: false, noNewKeyring: false };
  // typeurl writes the bare message name; a type.googleapis.com/ prefix is accepted too.
  if (url.replace(/^.*\//, '') !== RUNC_OPTIONS) {
    throw new TtrpcError(Code.InvalidArgument, `create: options of type ${url} are not supported by containerd-shim-tsrun-v2 (want ${RUNC_OPTIONS})`);
  }
  const o = decode(RUNC_OPTIONS, any!.value ?? new Uint8Array(0));
  for (const k of NOT_APPLIED) if (o[k]) warn(`create: runc option ${k}=${JSON.stringify(o[k])} does not apply to containerd-shim-tsrun-v2: not used`);
  return { systemdCgroup: o.systemdCgroup === true, noPivot: o.noPivotRoot === true, noNewKeyring: o.noNewKeyring === true };
}
