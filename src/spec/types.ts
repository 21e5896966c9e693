// Convenient names for the parts of the generated runtime-spec types.
import type { Spec, Mount, Hook, IDMapping, Device, NamespaceReference, DeviceCgroup } from './generated/config.js';

export type { Spec, Mount, Hook, IDMapping, Device, NamespaceReference, DeviceCgroup };
export type Process = NonNullable<Spec['process']>;
export type User = NonNullable<Process['user']>;
export type Capabilities = NonNullable<Process['capabilities']>;
export type Rlimit = NonNullable<Process['rlimits']>[number];
export type Linux = NonNullable<Spec['linux']>;
export type Resources = NonNullable<Linux['resources']>;
export type Seccomp = NonNullable<Linux['seccomp']>;
export type SeccompSyscall = NonNullable<Seccomp['syscalls']>[number];
export type Hooks = NonNullable<Spec['hooks']>;
export type NamespaceType = NamespaceReference['type'];
