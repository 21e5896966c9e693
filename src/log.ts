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
  private last = performance.now();
  constructor(
    private readonly log: Logger,
    private readonly label: string,
  ) {}
  mark(phase: string): void {
    const now = performance.now();
    this.log.debug(`${this.label}: ${phase} ${(now - this.last).toFixed(2)} ms`);
    this.last = now;
  }
}
