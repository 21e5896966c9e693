import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpec } from '../../index.js';
import { TsrunError, sysError } from '../../errors.js';
import type { Command } from '../command.js';

const command: Command = {
  synopsis: '[command options]',
  description: 'write a starting config.json into the bundle',
  flags: [
    { name: 'bundle', alias: 'b', kind: 'string', help: 'bundle directory to write config.json into' },
    { name: 'rootless', kind: 'bool', help: 'a config for a container run by an unprivileged user' },
  ],
  async run(args) {
    const file = join((args.flags.bundle as string | undefined) ?? '.', 'config.json');
    if (existsSync(file)) throw new TsrunError(`File ${file} exists. Remove it first`);
    const spec = await defaultSpec({ rootless: args.flags.rootless === true });
    try {
      writeFileSync(file, JSON.stringify(spec, null, '\t') + '\n');
    } catch (e) {
      throw sysError('write', file, e);
    }
    return 0;
  },
};
export default command;
