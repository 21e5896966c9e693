import type { ExecutorSession } from '../native/executor.js';
import type { Process } from '../spec/types.js';
import type { TerminalAttachment } from '../process/attach-terminal.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/**
 * While `body` runs and until the executor exits, signals sent to us go to
 * pid. Resolves with the executor's exit status: the process's exit code, or
 * 128+signal.
 */
export async function inForeground(session: ExecutorSession, pid: number, body: () => Promise<void> = async () => {}): Promise<number> {
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    await body();
    session.close();
    return await session.exited;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}

/**
 * The caller's terminal, when a foreground process wants one and no
 * --console-socket was given; undefined otherwise.
 */
export async function attachableTerminal(proc: Process | undefined, consoleSocket: string | undefined): Promise<TerminalAttachment | undefined> {
  if (!proc?.terminal || consoleSocket) return undefined;
  const { TerminalAttachment } = await import('../process/attach-terminal.js');
  return new TerminalAttachment();
}
