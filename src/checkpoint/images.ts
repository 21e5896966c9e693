// The image directory: opened for CRIU, and the files tsrun keeps beside
// CRIU's images (the container's stdio, as runc's descriptors.json).
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TsrunError, sysError } from '../errors.js';

export const DESCRIPTORS = 'descriptors.json';

/** An absolute path (CRIU resolves relative ones against its own cwd) to a directory, made if asked. */
export function openDir(path: string, what: string, make: boolean): { path: string; fd: number } {
  const abs = resolve(path);
  if (make) {
    try {
      mkdirSync(abs, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw sysError(`${what}: mkdir`, abs, e);
    }
  }
  try {
    return { path: abs, fd: openSync(abs, constants.O_RDONLY | constants.O_DIRECTORY) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TsrunError(`${what} ${abs} does not exist`, { code: 'ERR_NOT_FOUND', path: abs });
    if (code === 'ENOTDIR') throw new TsrunError(`${what} ${abs} is not a directory`, { code: 'ERR_INVALID_ARGUMENT', path: abs });
    throw sysError(`${what}: open`, abs, e);
  }
}

export function closeDir(d: { fd: number } | undefined): void {
  if (d) closeSync(d.fd);
}

/**
 * What fds 0-2 of the init are, as runc records them ("pipe:[123]",
 * "/dev/null"): restore hands pipes back by these names. A file on a mount
 * the container cannot see (the host's /dev/null or a log file, which runc
 * cannot dump) is recorded as CRIU's external file id "file[MNT:INO]",
 * marked external for the dump, and handed back by that id on restore.
 * Returns the external ids.
 */
export function writeDescriptors(imageDir: string, pid: number): string[] {
  const visible = new Set(
    readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[0]),
  );
  const external: string[] = [];
  const fds = [0, 1, 2].map((fd) => {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '/dev/null'; // closed: nothing to hand back
    }
    if (!link.startsWith('/')) return link; // pipe:[N], socket:[N]: CRIU's own business
    const mnt = /^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
    if (!mnt || visible.has(mnt)) return link;
    const id = `file[${Number(mnt).toString(16)}:${statSync(`/proc/${pid}/fd/${fd}`).ino.toString(16)}]`;
    external.push(id);
    return id;
  });
  writeFileSync(join(imageDir, DESCRIPTORS), JSON.stringify(fds), { mode: 0o600 });
  return [...new Set(external)];
}

/** The descriptors restore must hand to CRIU: pipes, and files that were external to the container. */
export function inheritedDescriptor(name: string): boolean {
  return name.includes('pipe:') || /^file\[[0-9a-f]+:[0-9a-f]+\]$/.test(name);
}

/**
 * Checks that the directory holds a dump (CRIU's inventory.img and our
 * descriptors.json) before anything is created, and returns the descriptors.
 */
export function readCheckpoint(imageDir: string): string[] {
  if (!existsSync(imageDir)) throw new TsrunError(`image path ${imageDir} does not exist`, { code: 'ERR_NOT_FOUND', path: imageDir });
  if (!existsSync(join(imageDir, 'inventory.img'))) {
    throw new TsrunError(`image path ${imageDir} holds no checkpoint (no inventory.img): pass the --image-path of a tsrun or runc checkpoint`, {
      code: 'ERR_NOT_FOUND',
      path: imageDir,
    });
  }
  let fds: unknown;
  try {
    fds = JSON.parse(readFileSync(join(imageDir, DESCRIPTORS), 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new TsrunError(`image path ${imageDir} has no ${DESCRIPTORS}: it was not made by tsrun or runc checkpoint`, { code: 'ERR_NOT_FOUND', path: join(imageDir, DESCRIPTORS) });
    throw new TsrunError(`image path ${imageDir}: ${DESCRIPTORS} is not valid JSON`, { code: 'ERR_INVALID_ARGUMENT', path: join(imageDir, DESCRIPTORS) });
  }
  if (!Array.isArray(fds) || !fds.every((f) => typeof f === 'string'))
    throw new TsrunError(`image path ${imageDir}: ${DESCRIPTORS} is not a list of strings`, { code: 'ERR_INVALID_ARGUMENT', path: join(imageDir, DESCRIPTORS) });
  return fds as string[];
}

/** The lines of CRIU's log that say what failed, for the error message. */
export function criuLogErrors(dir: string, file: string): string {
  try {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    // Every dump and restore logs a harmless RLIMIT_NOFILE error (CRIU's own limit): leave it out.
    const errors = lines.filter((l) => /Error|error/.test(l) && !/RLIMIT_NOFILE/.test(l));
    return errors
      .slice(-5)
      .map((l) => l.trim())
      .join('\n');
  } catch {
    return '';
  }
}
