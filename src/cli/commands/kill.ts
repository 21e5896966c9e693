import { idArg, type Command } from '../command.js';

const command: Command = {
  synopsis: '[command options] <container-id> [signal]',
  description: "send a signal (default SIGTERM) to a container's init, or with --all to all its processes",
  flags: [{ name: 'all', alias: 'a', kind: 'bool', help: 'signal every process in the container' }],
  async run(args, g) {
    const id = idArg(args, 'kill');
    await g.runtime.kill(id, args.positionals[1] ?? 'SIGTERM', { all: args.flags.all === true });
    return 0;
  },
};
export default command;
