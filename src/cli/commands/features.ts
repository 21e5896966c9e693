import { writeOut } from '../output.js';
import type { Command } from '../command.js';

const command: Command = {
  synopsis: '',
  description: 'print the features this runtime implements (features.md), as JSON',
  flags: [],
  async run(_args, g) {
    writeOut(JSON.stringify(await g.runtime.features(), null, '    ') + '\n');
    return 0;
  },
};
export default command;
