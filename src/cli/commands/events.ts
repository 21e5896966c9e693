import { writeOut } from '../output.js';
import { statsToJSON } from '../../cgroups/stats-json.js';
import { TsrunError } from '../../errors.js';
import { idArg, type Command } from '../command.js';

const command: Command = {
  synopsis: '[command options] <container-id>',
  description: 'stream stats and OOM notices for a container, or print stats once with --stats',
  flags: [
    { name: 'interval', kind: 'string', help: 'time between stats events, like 5s or 500ms (default 5s)' },
    { name: 'stats', kind: 'bool', help: 'print the stats once and exit' },
  ],
  async run(args, g) {
    const id = idArg(args, 'events');
    const emit = (type: string, data?: unknown) => writeOut(statsToJSON(data === undefined ? { type, id } : { type, id, data }) + '\n');
    if (args.flags.stats) {
      emit('stats', (await g.runtime.stats(id)).stats);
      return 0;
    }
    const interval = parseDuration((args.flags.interval as string | undefined) ?? '5s');
    let lastOom = (await g.runtime.stats(id)).oomKills;
    // As runc: one stats event per interval, an oom event when the kill count grows, until the container stops.
    for (;;) {
      await new Promise((r) => setTimeout(r, interval));
      let s;
      try {
        s = await g.runtime.stats(id);
      } catch {
        return 0; // stopped or deleted
      }
      if (s.oomKills > lastOom) emit('oom');
      lastOom = s.oomKills;
      emit('stats', s.stats);
    }
  },
};
export default command;

/** Go-style durations: "5s", "500ms", "1m30s". */
export function parseDuration(v: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let m;
  let pos = 0;
  while ((m = re.exec(v))) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== v.length || total <= 0) throw new TsrunError(`invalid --interval ${JSON.stringify(v)}: use a duration like 5s`);
  return total;
}
