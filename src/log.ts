/** Where the library reports warnings and debug traces; the CLI writes them in runc's log formats. */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Times phases for `--debug` ("create: validate 1.2 ms"), so a slow phase is visible. */
export class PhaseTimer {
  // process.hrtime, not performance.now(): the global `performance` loads ten of Node's modules.
  private last = process.hrtime.bigint();
  constructor(
    private readonly log: Logger,
    private readonly label: string,
  ) {}
  mark(phase: string): void {
    const now = process.hrtime.bigint();
    this.log.debug(`${this.label}: ${phase} ${(Number(now - this.last) / 1e6).toFixed(2)} ms`);
    this.last = now;
  }
}
