import { writeOut } from './output.js';
import { appendFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import { cutLines } from '../text.js';

type Level = 'debug' | 'info' | 'warning' | 'error';

/**
 * runc's log output: logrus's JSON formatter (`{"level":..,"msg":..,"time":..}`,
 * keys in that order, RFC 3339 time) or its text formatter
 * (`time="..." level=... msg="..."`). containerd's shim reads the last
 * "level":"error" line of the JSON log for its error message.
 */
export class CliLogger implements Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: 'text' | 'json',
    private readonly debugEnabled: boolean,
  ) {}

  private write(level: Level, given: string): void {
    const msg = cutLines(given);
    const time = rfc3339(new Date());
    const line = this.format === 'json' ? JSON.stringify({ level, msg, time }) : `time=${logfmt(time)} level=${level} msg=${logfmt(msg)}`;
    if (this.file) {
      try {
        appendFileSync(this.file, line + '\n');
        return;
      } catch {
        /* fall back to stderr */
      }
    }
    // No log file: runc's logrus writes the same lines to stderr, and podman
    // and containerd parse that stream, so it gets the same lines.
    writeOut(line + '\n', 2);
  }

  debug(msg: string): void {
    if (this.debugEnabled) this.write('debug', msg);
  }
  info(msg: string): void {
    this.write('info', msg);
  }
  warn(msg: string): void {
    this.write('warning', msg);
  }
  error(msg: string): void {
    this.write('error', msg);
  }
  /** Errors also go to stderr when the log is a file, so whoever ran us sees them. */
  get logsToFile(): boolean {
    return this.file !== undefined;
  }
}

/**
 * A value as logrus's text formatter writes it: bare when it has only
 * [A-Za-z0-9-._/@^+], otherwise quoted as Go's %q does.
 */
export function logfmt(v: string): string {
  return /^[A-Za-z0-9\-._/@^+]+$/.test(v) ? v : JSON.stringify(v);
}

/** RFC 3339 in local time with offset, as Go's time.RFC3339 prints it. */
export function rfc3339(d: Date): string {
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}
