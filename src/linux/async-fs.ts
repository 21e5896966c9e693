/**
 * The few asynchronous file operations tsrun uses, on node:fs's callback
 * API (libuv's thread pool, as node:fs/promises). node:fs/promises itself
 * would load eight more of Node's internal modules (FileHandle, streams,
 * readline, watchers) into every short-lived CLI command that reaches them.
 */
import * as fs from 'node:fs';

type Done<T> = (err: NodeJS.ErrnoException | null, value?: T) => void;
const call = <T>(f: (done: Done<T>) => void): Promise<T> => new Promise((resolve, reject) => f((err, value) => (err ? reject(err) : resolve(value as T))));

export const mkdir = (path: string, mode: number): Promise<void> => call<void>((done) => fs.mkdir(path, { mode }, (e) => done(e)));
export const rmdir = (path: string): Promise<void> => call((done) => fs.rmdir(path, done));
export const readdirTypes = (path: string): Promise<fs.Dirent[]> => call((done) => fs.readdir(path, { withFileTypes: true }, done));
export const rm = (path: string, opts: fs.RmOptions): Promise<void> => call((done) => fs.rm(path, opts, done));
export const writeFile = (path: string, data: string | Buffer, flag?: string): Promise<void> => call((done) => fs.writeFile(path, data, { flag }, done));
export const rename = (from: string, to: string): Promise<void> => call((done) => fs.rename(from, to, done));
export const open = (path: string, flags: number): Promise<number> => call((done) => fs.open(path, flags, done));
export const write = (fd: number, data: string): Promise<number> => call((done) => fs.write(fd, data, done));
export const close = (fd: number): Promise<void> => call((done) => fs.close(fd, done));
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
