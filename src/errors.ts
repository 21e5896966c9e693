/**
 * The one error type of tsrun. Its message is complete and printed as is by
 * the CLI (no stack), e.g. `config.json: /process/user/uid: must be integer`;
 * a program using the library reads the facts from its fields instead of
 * parsing the text: a stable `code`, and where they apply the JSON pointer
 * of the config field at fault, the system call, path, errno name and the
 * executor op index.
 */
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

  /** The same error with facts added (a caller knows the pointer or path the callee did not). */
  static with(e: TsrunError, facts: ErrorFacts): TsrunError {
    return new TsrunError(e.message, {
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

/** errno name of a Node fs/syscall error ("EIO" when it has none). */
export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
}

/** Wraps a Node fs/syscall error as "<what> <path>: <CODE> (<text>)", with its facts. */
export function sysError(what: string, path: string, err: unknown): TsrunError {
  const e = err as NodeJS.ErrnoException;
  const code = errnoOf(err);
  const text = e?.message?.replace(/^[A-Z]+: /, '').replace(/, .*$/, '') ?? String(err);
  return new TsrunError(`${what} ${path}: ${code} (${text})`, { code: 'ERR_SYSCALL', syscall: e?.syscall ?? what, path, errno: code, cause: err });
}
