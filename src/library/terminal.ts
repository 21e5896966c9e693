// A container process's terminal for a program using the library: tsrun
// listens on a console socket of its own (no file for the caller to
// manage), receives the pty master after set-up, and hands it over as a
// Node stream with resize().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tty from 'node:tty';
import { acceptFd, closeFd, listenUnix, setWindowSize } from '../linux/libc.js';
import { ttyModule } from '../builtins.js';

/** The pty master: read what the process writes, write what it reads. */
export interface TerminalStream extends tty.ReadStream {
  /** Sets the terminal's window size (the process gets SIGWINCH). */
  resize(cols: number, rows: number): void;
}

export class ConsoleReceiver {
  readonly socketPath: string;
  private readonly dir: string;
  private listenFd: number;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'tsrun-console-'));
    this.socketPath = join(this.dir, 'console.sock');
    this.listenFd = listenUnix(this.socketPath);
  }

  /** Once the executor reported set-up done, the master is queued: this does not block. */
  receive(): TerminalStream {
    const master = acceptFd(this.listenFd);
    const stream = new (ttyModule().ReadStream)(master) as TerminalStream;
    stream.resize = (cols, rows) => setWindowSize(master, rows, cols);
    // EIO once the process side has closed: that is the end of the stream, not an error.
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EIO') stream.push(null);
    });
    this.close();
    return stream;
  }

  close(): void {
    if (this.listenFd < 0) return;
    closeFd(this.listenFd);
    this.listenFd = -1;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
