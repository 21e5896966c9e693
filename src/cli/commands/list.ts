import { writeOut } from '../output.js';
import { TsrunError } from '../../errors.js';
import type { Command } from '../command.js';

const command: Command = {
  synopsis: '[command options]',
  description: 'list containers',
  flags: [
    { name: 'format', alias: 'f', kind: 'string', help: 'table or json (default table)' },
    { name: 'quiet', alias: 'q', kind: 'bool', help: 'print only the ids' },
  ],
  async run(args, g) {
    const format = (args.flags.format as string | undefined) ?? 'table';
    if (format !== 'table' && format !== 'json') throw new TsrunError(`invalid format option ${JSON.stringify(format)}: use table or json`);
    const all = await g.runtime.list();
    if (args.flags.quiet) {
      for (const s of all) writeOut(s.id + '\n');
    } else if (format === 'json') {
      writeOut(JSON.stringify(all) + '\n');
    } else {
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
      writeOut(table(rows));
    }
    return 0;
  },
};
export default command;

/** Columns padded like Go's tabwriter with minwidth 12 and padding 3, as runc prints them. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(12, ...rows.map((r) => r[c]!.length + 3)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('') + '\n').join('');
}
