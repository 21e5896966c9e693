import { idArg, type Command } from '../command.js';
import { createFlags, createOptions } from './create.js';

const command: Command = {
  synopsis: '[command options] <container-id>',
  description: 'create and start a container; in the foreground, exit with its status',
  flags: [
    ...createFlags,
    { name: 'detach', alias: 'd', kind: 'bool', help: 'return once the container has started' },
    { name: 'keep', kind: 'bool', help: 'do not delete the container after it exits' },
    { name: 'no-subreaper', kind: 'bool', help: 'do not make the process watching the container a subreaper' },
  ],
  async run(args, g) {
    const id = idArg(args, 'run');
    return g.runtime.runInForeground(id, { ...createOptions(args.flags), detach: args.flags.detach === true, keep: args.flags.keep === true });
  },
};
export default command;
