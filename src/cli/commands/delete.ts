import { idArg, type Command } from '../command.js';

const command: Command = {
  synopsis: '[command options] <container-id>',
  description: 'delete a stopped container (--force: kill it first)',
  flags: [{ name: 'force', alias: 'f', kind: 'bool', help: 'kill a running or paused container and delete it' }],
  async run(args, g) {
    await g.runtime.delete(idArg(args, 'delete'), { force: args.flags.force === true });
    return 0;
  },
};
export default command;
