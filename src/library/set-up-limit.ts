// How many containers a Runtime sets up at once. A create is mostly kernel
// work (clone with new namespaces, mounts, cgroups) done by the executors,
// and a start releases an init into its exec: on a host with few CPUs,
// fifty of them at once do not finish sooner than four, but the program's
// own thread then waits its turn for a CPU among a hundred processes, and
// its event loop stalls (40 interleaved bursts of 50 lifecycles on 2 CPUs,
// docs/bench.md session 11: the longest stall 14.1 ms in the median burst
// and 20.5 ms at worst with 8 at a time; 10.0 and 13.8 ms with 4, for 2 %
// less throughput; about 40 ms with all 50 at once, in 20 such bursts). The
// others wait here, first come first served, except that a start goes
// before the creates that wait.
import { osModule } from '../builtins.js';
import { TsrunError } from '../errors.js';

/** The default: two set-ups per CPU this process may run on. */
export const defaultSetUpConcurrency = (): number => 2 * osModule().availableParallelism();

export class SetUpLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  private limit: number | undefined;

  /** max: undefined for the default, worked out at the first set-up (a Runtime that only reads state never loads node:os). */
  constructor(max?: number) {
    this.limit = max;
    if (max === undefined) return;
    if (!(Number.isInteger(max) && max > 0) && max !== Infinity) throw new TsrunError(`setUpConcurrency: ${max} is not a positive integer (or Infinity)`, { code: 'ERR_INVALID_ARGUMENT' });
  }

  /**
   * Runs f once fewer than max set-ups are running. `first`: before those
   * waiting (a start: it is short, and lets a container run and end).
   */
  async run<T>(f: () => Promise<T>, first = false): Promise<T> {
    this.limit ??= defaultSetUpConcurrency();
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => (first ? this.waiting.unshift(resolve) : this.waiting.push(resolve))); // handed the slot of one that ends
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
