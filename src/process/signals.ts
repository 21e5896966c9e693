import { constants } from 'node:os';
import { TsrunError } from '../errors.js';

const SIGNALS = constants.signals as Record<string, number>;

/** A signal given as a number ("9"), a name ("KILL", "SIGKILL", "sigkill"), or SIGRTMIN+n. */
export function parseSignal(input: string | number): number {
  // A number goes to the kernel as is (0 probes liveness; one beyond the
  // signals fails there with EINVAL), as runc passes it.
  if (typeof input === 'number' || /^\d+$/.test(input)) return Number(input);
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
