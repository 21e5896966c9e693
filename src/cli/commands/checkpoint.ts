import { intFlag } from '../args.js';
import { idArg, type Command } from '../command.js';
import { criuFlags, criuOptions } from './criu-flags.js';

const command: Command = {
  synopsis: '[command options] <container-id>',
  description: 'checkpoint a running container with CRIU',
  flags: [
    ...criuFlags,
    { name: 'parent-path', kind: 'string', help: 'path for previous criu image files in pre-dump' },
    { name: 'leave-running', kind: 'bool', help: 'leave the process running after checkpointing' },
    { name: 'tcp-skip-in-flight', kind: 'bool', help: 'skip in-flight tcp connections' },
    { name: 'link-remap', kind: 'bool', help: 'link unlinked files back when possible' },
    { name: 'status-fd', kind: 'string', help: 'criu writes \\0 to this fd once the lazy-pages server is ready' },
    { name: 'page-server', kind: 'string', help: 'ADDRESS:PORT of the page server' },
    { name: 'pre-dump', kind: 'bool', help: "dump the container's memory only, leaving it running" },
  ],
  async run(args, g) {
    const f = args.flags;
    await g.runtime.checkpoint(idArg(args, 'checkpoint'), {
      ...criuOptions(f, g.criu),
      parentPath: f['parent-path'] as string | undefined,
      leaveRunning: f['leave-running'] === true,
      tcpSkipInFlight: f['tcp-skip-in-flight'] === true,
      linkRemap: f['link-remap'] === true,
      statusFd: intFlag(f['status-fd'], 'status-fd'),
      pageServer: f['page-server'] as string | undefined,
      preDump: f['pre-dump'] === true,
    });
    return 0;
  },
};
export default command;
