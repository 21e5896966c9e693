// runs with forwardSignals share one listener per signal, installed while
// any such run lasts: a hundred concurrent runs add six listeners, not six
// hundred (no MaxListenersExceededWarning), and none remain afterwards.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
const targets = new Set<(sig: NodeJS.Signals) => void>();

function forward(sig: NodeJS.Signals): void {
  for (const t of targets) t(sig);
}

/** Sends the forwarded signals this process gets to `to` until the returned function is called. */
export function forwardSignals(to: (sig: NodeJS.Signals) => void): () => void {
  if (targets.size === 0) for (const s of FORWARDED) process.on(s, forward);
  targets.add(to);
  return () => {
    if (!targets.delete(to)) return;
    if (targets.size === 0) for (const s of FORWARDED) process.off(s, forward);
  };
}
