import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptFd, closeFd, listenUnix, setWindowSize } from '../linux/libc.js';
import { ttyModule } from '../builtins.js';

/**
 * A foreground `run`/`exec` with process.terminal and no --console-socket:
 * tsrun is its own console socket. listen() before the executor starts;
 * after set-up the master is already queued, so accept and recvmsg do not
 * block. Then the caller's terminal goes raw, bytes are copied both ways,
 * window sizes follow SIGWINCH, and the terminal is restored at the end.
 */
export class TerminalAttachment {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly listenFd: number;
  private master = -1;
  private cleanup: Array<() => void> = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'tsrun-console-'));
    this.socketPath = join(this.dir, 'console.sock');
    this.listenFd = listenUnix(this.socketPath);
  }

  /** Call once the executor reported set-up done. */
  attach(): void {
    this.master = acceptFd(this.listenFd);
    const master = this.master;
    const out = process.stdout;
    const resize = () => {
      if (out.isTTY) setWindowSize(master, out.rows, out.columns);
    };
    resize();
    out.on('resize', resize);
    this.cleanup.push(() => out.off('resize', resize));
    const stdin = process.stdin;
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      this.cleanup.push(() => stdin.setRawMode(false));
    }
    const fromContainer = new (ttyModule().ReadStream)(master);
    fromContainer.on('error', () => {}); // EIO once the container side closes
    fromContainer.pipe(out, { end: false });
    const toContainer = (d: Buffer) => {
      try {
        writeSync(master, d);
      } catch {
        /* the container side closed */
      }
    };
    stdin.on('data', toContainer);
    this.cleanup.push(() => {
      stdin.off('data', toContainer);
      stdin.pause();
      fromContainer.destroy(); // closes the master
    });
  }

  close(): void {
    for (const f of this.cleanup.reverse()) f();
    this.cleanup = [];
    closeFd(this.listenFd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
