/**
 * The shim's log: logrus text lines on the `log` FIFO containerd opens in
 * each bundle (containerd copies them into its own log), or nowhere. One
 * daemon serves many containers (LogSet): a task's lines go to its own
 * bundle's FIFO, the daemon's own to every one open.
 */
import { closeSync, constants as fsc, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

type Level = 'debug' | 'info' | 'warning' | 'error';

class FifoLog {
  constructor(private fd: number) {}

  static open(path: string): FifoLog {
    try {
      return new FifoLog(openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK));
    } catch {
      /* no reader (containerd not listening): log nowhere */
      return new FifoLog(-1);
    }
  }

  write(level: Level, msg: string): void {
    if (this.fd < 0) return;
    try {
      writeSync(this.fd, `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)} runtime=io.containerd.tsrun.v2 pid=${process.pid}\n`);
    } catch {
      /* a full or closed FIFO must not stop the shim */
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function logger(debug: boolean, write: (level: Level, msg: string) => void): Logger {
  return {
    debug: (m) => debug && write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warning', m),
    error: (m) => write('error', m),
  };
}

/** The logs of the tasks one daemon serves, by task id. As a Logger: the daemon's own lines, to all. */
export class LogSet implements Logger {
  private readonly logs = new Map<string, FifoLog>();
  private readonly all: Logger;

  constructor(private readonly debugOn: boolean) {
    this.all = logger(debugOn, (level, msg) => {
      for (const l of this.logs.values()) l.write(level, msg);
    });
  }

  /** The log FIFO of task id's bundle (once per id). */
  open(id: string, bundle: string): void {
    if (id && !this.logs.has(id)) this.logs.set(id, FifoLog.open(join(bundle, 'log')));
  }

  close(id: string): void {
    this.logs.get(id)?.close();
    this.logs.delete(id);
  }

  /** Task id's log; the daemon's (all) when it has none. */
  for(id: string): Logger {
    const l = this.logs.get(id);
    return l ? logger(this.debugOn, (level, msg) => l.write(level, msg)) : this.all;
  }

  debug(m: string): void {
    this.all.debug(m);
  }
  info(m: string): void {
    this.all.info(m);
  }
  warn(m: string): void {
    this.all.warn(m);
  }
  error(m: string): void {
    this.all.error(m);
  }
}

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };
