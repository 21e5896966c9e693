import { idArg, type Command } from '../command.js';

const command: Command = {
  synopsis: '<container-id>',
  description: 'resume every process of a paused container',
  flags: [],
  async run(args, g) {
    await g.runtime.resume(idArg(args, 'resume'));
    return 0;
  },
};
export default command;
