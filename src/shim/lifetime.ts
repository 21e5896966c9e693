/**
 * When the shim daemon exits. One daemon serves every container of a
 * containerd namespace (registry.ts). Once it has no task and no call in
 * flight it lingers idleMs, so that a loop of `ctr run --rm` (or a pod's
 * next container) finds it and pays no daemon start; then it unregisters
 * (a new `start` starts a new daemon) and keeps accepting graceMs longer,
 * for a `start` that read the registration just before (containerd connects
 * a few ms after `start` printed the address). Any connection or call in
 * that time keeps it serving, unregistered, until it is idle again.
 */
export interface LifetimeOptions {
  idleMs: number;
  /** Until the first connection: the `start` that started it has yet to connect. */
  firstMs: number;
  graceMs: number;
  /** Tasks left or calls in flight. */
  busy(): boolean;
  unregister(): void;
  exit(): void;
}

export class Lifetime {
  private timer: NodeJS.Timeout | null = null;
  private registered = true;
  private connected = false;

  constructor(private readonly opts: LifetimeOptions) {}

  /** A connection or a call: whatever countdown ran starts again once idle. */
  touch(): void {
    this.connected = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.check();
  }

  /** Re-evaluates after a call ended, a task went away or a Shutdown came. */
  check(): void {
    if (this.opts.busy()) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      return;
    }
    if (this.timer) return;
    const ms = !this.registered ? this.opts.graceMs : this.connected ? this.opts.idleMs : Math.max(this.opts.idleMs, this.opts.firstMs);
    this.timer = setTimeout(() => this.expire(), ms);
  }

  private expire(): void {
    this.timer = null;
    if (this.opts.busy()) return;
    if (this.registered) {
      this.registered = false;
      this.opts.unregister();
      this.timer = setTimeout(() => this.expire(), this.opts.graceMs);
      return;
    }
    this.opts.exit();
  }
}

/** TSRUN_SHIM_IDLE_MS in the daemon's environment (containerd's) overrides the default linger. */
export function idleMsFromEnv(env: NodeJS.ProcessEnv, fallback: number): number {
  const v = Number(env.TSRUN_SHIM_IDLE_MS);
  return env.TSRUN_SHIM_IDLE_MS !== undefined && Number.isFinite(v) && v >= 0 ? v : fallback;
}
