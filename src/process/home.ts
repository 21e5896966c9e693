import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { Process } from '../spec/types.js';

/**
 * As runc: a process whose env has no HOME gets the home directory of its
 * uid from the container's /etc/passwd, or "/". The file is opened with
 * O_NOFOLLOW on each component we control, so an image's symlinked
 * /etc/passwd cannot make us read a host file.
 */
export function withHome(proc: Process, rootfs: string): Process {
  const env = proc.env ?? [];
  if (env.some((e) => e.startsWith('HOME='))) return proc;
  const home = homeOf(readPasswd(rootfs), proc.user?.uid ?? 0) ?? '/';
  return { ...proc, env: [...env, `HOME=${home}`] };
}

export function homeOf(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 6 && Number(f[2]) === uid && f[2] !== '') return f[5] || undefined;
  }
  return undefined;
}

function readPasswd(rootfs: string): string {
  let fd = -1;
  try {
    // etc and passwd must be a real directory and a real file.
    const etc = openSync(join(rootfs, 'etc'), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    closeSync(etc);
    fd = openSync(join(rootfs, 'etc/passwd'), constants.O_RDONLY | constants.O_NOFOLLOW);
    if (!fstatSync(fd).isFile()) return '';
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
