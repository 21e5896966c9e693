import { idArg, type Command } from '../command.js';

const command: Command = {
  synopsis: '<container-id>',
  description: 'suspend every process in the container (cgroup freezer)',
  flags: [],
  async run(args, g) {
    await g.runtime.pause(idArg(args, 'pause'));
    return 0;
  },
};
export default command;
