import { constants } from 'node:os';
import { TsrunError } from '../errors.js';

const SIGNALS = constants.signals as Record<string, number>;

/** A signal given as a number ("9"), a name ("KILL", "SIGKILL", "sigkill"), or SIGRTMIN+n. */
export function parseSignal(input: string | number): number {
  if (typeof input === 'number' || /^\d+$/.test(input)) {
    const n = Number(input);
    if (n >= 1 && n <= 64) return n;
    throw new TsrunError(`invalid signal ${JSON.stringify(String(input))}: numbers go from 1 to 64`);
  }
  const name = input.toUpperCase().replace(/^SIG/, '');
  const rt = /^RTMIN\+(\d+)$/.exec(name) ?? /^RTMAX-(\d+)$/.exec(name);
  if (rt) {
    const n = name.startsWith('RTMIN') ? 34 + Number(rt[1]) : 64 - Number(rt[1]);
    if (n >= 34 && n <= 64) return n;
  }
  if (name === 'RTMIN') return 34;
  if (name === 'RTMAX') return 64;
  const n = SIGNALS['SIG' + name];
  if (n === undefined) throw new TsrunError(`unknown signal ${JSON.stringify(input)}`);
  return n;
}
