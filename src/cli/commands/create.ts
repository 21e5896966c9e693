import { writeOut } from '../output.js';
import { intFlag } from '../args.js';
import { idArg, type Command } from '../command.js';

export const createFlags = [
  { name: 'bundle', alias: 'b', kind: 'string', help: 'path to the bundle directory (default: current directory)' },
  { name: 'pid-file', kind: 'string', help: 'file to write the init process pid to' },
  { name: 'no-pivot', kind: 'bool', help: 'use MS_MOVE + chroot instead of pivot_root' },
  { name: 'no-new-keyring', kind: 'bool', help: 'accepted for runc compatibility (tsrun makes no session keyring)' },
  { name: 'preserve-fds', kind: 'string', help: 'pass N more fds (3 .. 3+N-1) to the container' },
  { name: 'console-socket', kind: 'string', help: 'unix socket to send the pty master to (process.terminal)' },
  { name: 'pidfd-socket', kind: 'string', help: 'unix socket to send a pidfd of the init to' },
] as const;

const command: Command = {
  synopsis: '[command options] <container-id>',
  description: 'create a container',
  flags: [...createFlags, { name: 'dry-run', kind: 'bool', help: 'print the plan (every mount, device, write and syscall) and do nothing' }],
  async run(args, g) {
    const id = idArg(args, 'create');
    const plan = await g.runtime.createUnwatched(id, createOptions(args.flags));
    if (typeof plan === 'string') writeOut(plan + '\n');
    return 0;
  },
};
export default command;

export function createOptions(f: Record<string, unknown>) {
  return {
    bundle: f.bundle as string | undefined,
    pidFile: f['pid-file'] as string | undefined,
    noPivot: f['no-pivot'] === true,
    noNewKeyring: f['no-new-keyring'] === true,
    preserveFds: intFlag(f['preserve-fds'], 'preserve-fds'),
    consoleSocket: f['console-socket'] as string | undefined,
    pidfdSocket: f['pidfd-socket'] as string | undefined,
    noSubreaper: f['no-subreaper'] === true,
    dryRun: f['dry-run'] === true,
  };
}
