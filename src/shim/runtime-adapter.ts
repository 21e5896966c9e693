/**
 * The one place where the shim meets tsrun's library (src/index.ts): a
 * Runtime per state root; create() returns the library's Container, whose
 * executor stays as the init's parent and reports its exit status and OOM
 * events, so the shim needs no subreaper and reaps nothing itself.
 */
import { Runtime, type Container, type ExecProcess, type ExitStatus } from '../index.js';

export type { Container, ExecProcess, ExitStatus };

/** A container process's fds 0-2 as the shim gives them: an fd of its own, or /dev/null. */
export type StdioEntry = number | 'ignore';

/** The pty master of a process with process.terminal: read from it, write to it, resize it. */
export type Terminal = NonNullable<Container['terminal']>;

/** What the Task service needs of a process (a container's init or an exec). */
export interface ProcessHandle {
  readonly pid: number;
  readonly terminal: Terminal | null;
  wait(): Promise<ExitStatus>;
}

export class ShimRuntime {
  private readonly rt: Runtime;
  /** For runc's option SystemdCgroup (runc-options.ts); same state root, made on first use. */
  private systemd: Runtime | undefined;

  constructor(private readonly root: string) {
    this.rt = new Runtime({ root });
  }

  /** Creates the container from its bundle; its init waits for start(). systemdCgroup: its cgroup is a systemd scope. */
  create(id: string, opts: { bundle: string; stdio: StdioEntry[]; systemdCgroup?: boolean; noPivot?: boolean; noNewKeyring?: boolean }): Promise<Container> {
    const rt = opts.systemdCgroup ? (this.systemd ??= new Runtime({ root: this.root, systemdCgroup: true })) : this.rt;
    return rt.create(id, { bundle: opts.bundle, stdio: opts.stdio, noPivot: opts.noPivot, noNewKeyring: opts.noNewKeyring });
  }

  /** For the `delete` subcommand: a container whose shim died. */
  forceDelete(id: string): Promise<void> {
    return this.rt.delete(id, { force: true });
  }
}
