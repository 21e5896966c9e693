// Synchronous cgroupfs file access. Cgroup files are control interfaces: each
// write(2) is one command, so a value is written with a single write on an
// O_WRONLY descriptor (some files, e.g. cgroup.kill, are write-only and
// cannot be opened O_RDWR; O_CREAT is never wanted).
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupError, ioError, resourceLabel, resourcePointer } from './errors.js';

export function readCg(dir: string, file: string): string {
  const path = join(dir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw ioError('read', path, err);
  }
}

/** Like readCg but undefined when the file does not exist. */
export function readCgOpt(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', join(dir, file), err);
  }
}

/** A cgroup file opened for writing; the error names the path. */
export function openForWrite(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY);
  } catch (err) {
    throw ioError('open', path, err);
  }
}

export function writeCg(dir: string, file: string, value: string): void {
  writeCgEach(dir, file, [value]);
}

/**
 * Writes each value as one command through one open descriptor (devices
 * rules: one per write(2)). `failed` learns which value the kernel refused.
 */
export function writeCgEach(dir: string, file: string, values: string[], failed?: (value: string) => void): void {
  const path = join(dir, file);
  const fd = openForWrite(path);
  try {
    for (const value of values) {
      try {
        writeSync(fd, value);
      } catch (err) {
        failed?.(value);
        throw ioError('write', path, err);
      }
    }
  } finally {
    closeSync(fd);
  }
}

export function hasFile(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/** Blocks the thread for ms milliseconds without spinning (create/delete are synchronous). */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Parses an unsigned decimal cgroup value; "max" becomes U64_MAX. */
export function parseU64(text: string, path = ''): number {
  const s = text.trim();
  if (s === 'max') return U64_MAX;
  if (!/^\d+$/.test(s)) throw new CgroupError(`parse ${path}: not a number: ${JSON.stringify(s)}`, path);
  return Number(s);
}

/** 2^64 as a double: what "max" and 18446744073709551615 read as (stats.ts prints it exactly). */
export const U64_MAX = 2 ** 64;

/** "key value" lines (memory.stat, cpu.stat, ...) into a map of numbers. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** "key a=1 b=2" lines (io.stat, rdma.max, ...) into key -> { a: "1", b: "2" }. */
export function parseNestedKeyed(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const line of text.split('\n')) {
    const [key, ...pairs] = line.trim().split(/\s+/);
    if (!key) continue;
    const entry: Record<string, string> = {};
    for (const p of pairs) {
      const i = p.indexOf('=');
      if (i > 0) entry[p.slice(0, i)] = p.slice(i + 1);
    }
    out[key] = entry;
  }
  return out;
}

/** Decimal digits of an integer from config.json, refusing non-integers (they would be written as "1.5" or "1e+21"). */
export function intText(value: number, field: string): string {
  if (!Number.isInteger(value)) throw new CgroupError(`${resourceLabel(field)}: ${value} is not an integer`, undefined, undefined, resourcePointer(field));
  return BigInt(value).toString();
}
