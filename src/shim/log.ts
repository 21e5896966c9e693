/**
 * The shim's log: logrus text lines on the `log` FIFO containerd opens in
 * the bundle (containerd copies them into its own log), or nowhere.
 */
import { constants as fsc, openSync, writeSync } from 'node:fs';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function openLog(path: string, debug: boolean): Logger {
  let fd = -1;
  try {
    fd = openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK);
  } catch {
    /* no reader (containerd not listening): log nowhere */
  }
  const write = (level: string, msg: string) => {
    if (fd < 0) return;
    try {
      writeSync(fd, `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)} runtime=io.containerd.tsrun.v2 pid=${process.pid}\n`);
    } catch {
      /* a full or closed FIFO must not stop the shim */
    }
  };
  return {
    debug: (m) => debug && write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warning', m),
    error: (m) => write('error', m),
  };
}

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };
