// mount(2) for the runtime itself (restore binds the rootfs where CRIU
// wants a mount point); the container's own mounts are the executor's.
import { errnoName } from '../native/errno.js';
import { TsrunError } from '../errors.js';
import { lazyFunctions, loadKoffi, loadLibc } from './koffi.js';

const libc = lazyFunctions(loadLibc, { mount: 'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)' });

const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_PRIVATE = 1 << 18;

/** Binds source (recursively) on target, then makes target private so nothing propagates to or from it. */
export function rbindPrivate(source: string, target: string): void {
  const fail = (what: string) => {
    const errno = errnoName(loadKoffi().errno());
    return new TsrunError(`${what}: ${errno}`, { code: 'ERR_SYSCALL', syscall: 'mount', path: target, errno });
  };
  if (libc.mount(source, target, null, MS_BIND | MS_REC, null) < 0) throw fail(`bind ${source} on ${target}`);
  if (libc.mount('', target, null, MS_PRIVATE | MS_REC, null) < 0) throw fail(`make ${target} private`);
}
