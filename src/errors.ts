/**
 * The one error type of tsrun. Its message is complete and printed as is by
 * the CLI (no stack), e.g. `config.json: /process/user/uid: must be integer`;
 * a program using the library reads the facts from its fields instead of
 * parsing the text: a stable `code`, and where they apply the JSON pointer
 * of the config field at fault, the system call, path, errno name and the
 * executor op index.
 */
import { getSystemErrorMap } from 'node:util';
import { osModule } from './builtins.js';

const BRAND = Symbol.for('tsrun.TsrunError');

/** The stable error codes (docs/library.md says when each is used). */
export const ERROR_CODES = [
  /** The config (config.json, a spec object, an exec process, update's resources) breaks the schema or a rule. */
  'ERR_CONFIG_INVALID',
  /** No container (or bundle, or file) of that name. */
  'ERR_NOT_FOUND',
  /** A container of that id exists already. */
  'ERR_EXISTS',
  /** The container is not in a state that allows the operation (start of a running one, ...). */
  'ERR_BAD_STATE',
  /** A system call failed: `syscall`, `path`, `errno` and for executor ops `op` say which. */
  'ERR_SYSCALL',
  /** The request is valid but this host or build cannot do it. */
  'ERR_UNSUPPORTED',
  /** A hook failed (exit status, signal, could not run). */
  'ERR_HOOK',
  /** A wait ran out of time: a hook's timeout, a lock held too long, an init that did not die. */
  'ERR_TIMEOUT',
  /** Bad arguments to a library call or a CLI command (not the config). */
  'ERR_INVALID_ARGUMENT',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The facts an error may carry besides its message. */
export interface ErrorFacts {
  code?: ErrorCode;
  /** JSON pointer of the config field at fault: "/process/user/uid". */
  pointer?: string;
  /** The system call that failed: "mount", "write", "kill". */
  syscall?: string;
  /** The file involved. */
  path?: string;
  /** errno name: "EACCES". */
  errno?: string;
  /** Index of the executor op that failed in the plan. */
  op?: number;
  /** The error this one explains. */
  cause?: unknown;
  /** Exit status for the CLI; 1 unless a command says otherwise (exec's 255). */
  exitCode?: number;
}

export class TsrunError extends Error {
  readonly code: ErrorCode;
  readonly pointer?: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly errno?: string;
  readonly op?: number;
  /** Process exit status for the CLI. */
  readonly exitCode: number;

  /** `facts` may still be a bare exit code, the form older call sites use. */
  constructor(message: string, facts: ErrorFacts | number = {}) {
    const f: ErrorFacts = typeof facts === 'number' ? { exitCode: facts } : facts;
    super(message, f.cause === undefined ? undefined : { cause: f.cause });
    this.name = 'TsrunError';
    this.code = f.code ?? (f.errno ? 'ERR_SYSCALL' : 'ERR_INVALID_ARGUMENT');
    if (f.pointer !== undefined) this.pointer = f.pointer;
    if (f.syscall !== undefined) this.syscall = f.syscall;
    if (f.path !== undefined) this.path = f.path;
    if (f.errno !== undefined) this.errno = f.errno;
    if (f.op !== undefined) this.op = f.op;
    this.exitCode = f.exitCode ?? 1;
    (this as unknown as Record<symbol, boolean>)[BRAND] = true;
  }

  /**
   * Each bundle (the CLI, each operation) has its own copy of this class, so
   * `instanceof` looks at a brand shared through the global symbol registry.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses (CgroupError) keep the ordinary prototype check.
    if (this !== TsrunError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** The same error with facts added (a caller knows the pointer or path the callee did not), and a new message if given. */
  static with(e: TsrunError, facts: ErrorFacts, message = e.message): TsrunError {
    return new TsrunError(message, {
      code: e.code,
      pointer: e.pointer,
      syscall: e.syscall,
      path: e.path,
      errno: e.errno,
      op: e.op,
      cause: e.cause,
      exitCode: e.exitCode,
      ...facts,
    });
  }
}

/** A config field that is wrong: "<pointer>: <why>", ERR_CONFIG_INVALID, pointer set (a JSON pointer, "/linux/seccomp/syscalls/3/action"). */
export function configError(pointer: string, why: string): TsrunError {
  return new TsrunError(`${pointer}: ${why}`, { code: 'ERR_CONFIG_INVALID', pointer });
}

/** errno name of a Node fs/syscall error ("EIO" when it has none). */
export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
}

/** errno number -> name, from the OS's table: libuv's error map (Node's) lacks some (ENOEXEC, ECHILD, EDQUOT). */
let names: Map<number, string> | undefined;

/**
 * The one errno formatter: the name and the C library's text ("EINVAL",
 * "Invalid argument") of an errno number (either sign, as Node and the
 * kernel give it) or of a Node fs/syscall error. An error without an errno
 * keeps its own message as the text; a number without a known text has none.
 */
export function errnoInfo(err: unknown): { code: string; text?: string } {
  const e = err as NodeJS.ErrnoException | undefined;
  const num = typeof err === 'number' ? Math.abs(err) : typeof e?.errno === 'number' ? Math.abs(e.errno) : undefined;
  if (num !== undefined && !names) {
    names = new Map();
    for (const [name, n] of Object.entries(osModule().constants.errno)) if (!names.has(n)) names.set(n, name);
  }
  const entry = num === undefined ? undefined : getSystemErrorMap().get(-num);
  const code = (typeof err === 'object' && e?.code) || (num !== undefined && names!.get(num)) || (typeof err === 'number' ? `errno ${err}` : 'EIO');
  const raw = entry?.[1] ?? (typeof err === 'number' ? undefined : (e?.message?.replace(/^[A-Z]+: /, '').replace(/, .*$/, '') ?? String(err)));
  return raw === undefined ? { code } : { code, text: raw.charAt(0).toUpperCase() + raw.slice(1) };
}

/** errno name of a number ("ENOENT"), or "errno N" for one the OS does not name. */
export function errnoName(errno: number): string {
  return errnoInfo(errno).code;
}

/** "EINVAL (Invalid argument)", or just the name when there is no text. */
export function formatErrno(err: unknown): string {
  const { code, text } = errnoInfo(err);
  return text === undefined ? code : `${code} (${text})`;
}

/** Wraps a Node fs/syscall error as "<what> <path>: <CODE> (<text>)", with its facts. */
export function sysError(what: string, path: string, err: unknown): TsrunError {
  const e = err as NodeJS.ErrnoException;
  const code = errnoOf(err);
  return new TsrunError(`${what} ${path}: ${formatErrno(err)}`, { code: 'ERR_SYSCALL', syscall: e?.syscall ?? what, path, errno: code, cause: err });
}
