import { writeOut } from '../output.js';
import { idArg, type Command } from '../command.js';

const command: Command = {
  synopsis: '<container-id>',
  description: "print a container's state as JSON",
  flags: [],
  async run(args, g) {
    const s = await g.runtime.state(idArg(args, 'state'));
    writeOut(JSON.stringify(s, null, '  ') + '\n');
    return 0;
  },
};
export default command;
