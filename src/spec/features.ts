// The Features structure (features.md) of this build, for `tsrun features`
// and Runtime.features().
import { CAPABILITIES } from './capabilities.js';
import { knownMountOptions } from '../rootfs/mount-options.js';

/** features.md's structure; features-schema.json in schema/ defines it. */
export type Features = Record<string, unknown>;

declare const TSRUN_VERSION: string;
declare const TSRUN_COMMIT: string;

/**
 * The Features structure (features.md): what this build implements,
 * independent of the host, as the spec asks. Kept truthful by hand: an
 * entry is listed only when the code behind it exists.
 */
export function features(): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: true, rdma: true },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
        archs: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'],
        knownFlags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
        supportedFlags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: true },
    },
    annotations: {
      'org.opencontainers.runtime-spec.features.runtime.name': 'tsrun',
      'org.opencontainers.runtime-spec.features.runtime.version': TSRUN_VERSION,
      'org.opencontainers.runtime-spec.features.runtime.commit': TSRUN_COMMIT,
      // runc's key, which engines read: checkpoint and restore are built in (they need CRIU >= 3.15 on the host).
      'org.opencontainers.runc.checkpoint.enabled': 'true',
      // Rootless (an unprivileged caller, or root in a user namespace): own-uid maps, newuidmap/newgidmap
      // ranges, no cgroup of its own where none is delegated (README "Rootless").
      'org.tsrun.rootless.enabled': 'true',
    },
  };
}
