import { idArg, type Command } from '../command.js';

const command: Command = {
  synopsis: '<container-id>',
  description: 'start a created container',
  flags: [],
  async run(args, g) {
    await g.runtime.start(idArg(args, 'start'));
    return 0;
  },
};
export default command;
