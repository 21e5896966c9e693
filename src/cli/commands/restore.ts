import { idArg, type Command } from '../command.js';
import { criuFlags, criuOptions } from './criu-flags.js';

const command: Command = {
  synopsis: '[command options] <container-id>',
  description: 'restore a container from a checkpoint; in the foreground, exit with its status',
  flags: [
    ...criuFlags,
    { name: 'bundle', alias: 'b', kind: 'string', help: 'path to the bundle directory (default: current directory)' },
    { name: 'console-socket', kind: 'string', help: 'unix socket to send the new pty master to (process.terminal)' },
    { name: 'detach', alias: 'd', kind: 'bool', help: 'return once the container is restored' },
    { name: 'pid-file', kind: 'string', help: 'file to write the restored init process pid to' },
    { name: 'no-subreaper', kind: 'bool', help: 'accepted for runc compatibility (tsrun does not become a subreaper)' },
    { name: 'no-pivot', kind: 'bool', help: 'accepted for runc compatibility (criu sets up the root)' },
  ],
  async run(args, g) {
    const f = args.flags;
    return g.runtime.restore(idArg(args, 'restore'), {
      ...criuOptions(f, g.criu),
      bundle: f.bundle as string | undefined,
      consoleSocket: f['console-socket'] as string | undefined,
      detach: f.detach === true,
      pidFile: f['pid-file'] as string | undefined,
      noSubreaper: f['no-subreaper'] === true,
      noPivot: f['no-pivot'] === true,
    });
  },
};
export default command;
