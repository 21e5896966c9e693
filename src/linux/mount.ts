// mount(2) for the runtime itself (restore binds the rootfs where CRIU
// wants a mount point); the container's own mounts are the executor's.
import { createRequire } from 'node:module';
import { errnoName } from '../native/errno.js';
import { TsrunError } from '../errors.js';

type Koffi = { load(lib: string): { func(sig: string): (...a: unknown[]) => number }; errno(): number };
let mountFn: ((...a: unknown[]) => number) | undefined;
let koffi: Koffi | undefined;

const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_PRIVATE = 1 << 18;

/** Binds source (recursively) on target, then makes target private so nothing propagates to or from it. */
export function rbindPrivate(source: string, target: string): void {
  if (!mountFn) {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
    mountFn = koffi.load('libc.so.6').func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
  }
  const fail = (what: string) => {
    const errno = errnoName(koffi!.errno());
    return new TsrunError(`${what}: ${errno}`, { code: 'ERR_SYSCALL', syscall: 'mount', path: target, errno });
  };
  if (mountFn(source, target, null, MS_BIND | MS_REC, null) < 0) throw fail(`bind ${source} on ${target}`);
  if (mountFn('', target, null, MS_PRIVATE | MS_REC, null) < 0) throw fail(`make ${target} private`);
}
