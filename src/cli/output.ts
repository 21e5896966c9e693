import { writeSync } from 'node:fs';

/**
 * Writes to stdout or stderr with a plain write(2). Touching
 * process.stdout/stderr makes Node build a stream object, which costs a
 * short-lived command ~5 ms (measured, docs/bench.md).
 */
export function writeOut(text: string, fd: 1 | 2 = 1): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking pipe that is full: retry
      return; // EPIPE and the like: the reader went away, nothing to tell it
    }
  }
}
