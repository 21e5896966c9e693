/**
 * An error meant for the user: its message is complete and printed as is
 * (no stack), e.g. `config.json: /process/user/uid: must be integer`.
 */
export class TsrunError extends Error {
  constructor(
    message: string,
    /** Process exit status for the CLI. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'TsrunError';
  }
}

/** Wraps a Node fs/syscall error as "<what> <path>: <CODE> (<text>)". */
export function sysError(what: string, path: string, err: unknown): TsrunError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'EIO';
  const text = e?.message?.replace(/^[A-Z]+: /, '').replace(/, .*$/, '') ?? String(err);
  return new TsrunError(`${what} ${path}: ${code} (${text})`);
}
