/**
 * An error meant for the user: its message is complete and printed as is
 * (no stack), e.g. `config.json: /process/user/uid: must be integer`.
 */
const BRAND = Symbol.for('tsrun.TsrunError');

export class TsrunError extends Error {
  constructor(
    message: string,
    /** Process exit status for the CLI. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'TsrunError';
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
}


/** Wraps a Node fs/syscall error as "<what> <path>: <CODE> (<text>)". */
export function sysError(what: string, path: string, err: unknown): TsrunError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'EIO';
  const text = e?.message?.replace(/^[A-Z]+: /, '').replace(/, .*$/, '') ?? String(err);
  return new TsrunError(`${what} ${path}: ${code} (${text})`);
}
