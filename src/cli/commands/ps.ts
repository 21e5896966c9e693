import { writeOut } from '../output.js';
import { spawnSync } from 'node:child_process';
import { TsrunError } from '../../errors.js';
import { idArg, type Command } from '../command.js';

const command: Command = {
  synopsis: '[command options] <container-id> [ps options]',
  description: 'list the processes in a container',
  stopAfter: 1,
  flags: [{ name: 'format', alias: 'f', kind: 'string', help: 'table or json (json: the array of host pids)' }],
  async run(args, g) {
    const id = idArg(args, 'ps');
    const format = (args.flags.format as string | undefined) ?? 'table';
    if (format !== 'table' && format !== 'json') throw new TsrunError(`invalid format option ${JSON.stringify(format)}: use table or json`);
    const pids = await g.runtime.pids(id);
    if (format === 'json') {
      writeOut(JSON.stringify(pids) + '\n');
      return 0;
    }
    // As runc: run the host's ps with the given options, keep its header and the container's lines.
    const psArgs = args.positionals.slice(1);
    const r = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
    if (r.status !== 0) throw new TsrunError(`ps: ${r.stderr.trim() || 'failed'}`);
    const [header, ...lines] = r.stdout.split('\n');
    const col = header!.trim().split(/\s+/).indexOf('PID');
    if (col < 0) throw new TsrunError('ps: no PID column in its output (give options that print one, like -ef)');
    const wanted = new Set(pids.map(String));
    writeOut([header, ...lines.filter((l) => wanted.has(l.trim().split(/\s+/)[col]!))].join('\n') + '\n');
    return 0;
  },
};
export default command;
