/**
 * Keeps the host program's event loop responsive when it runs many
 * containers at once. Each lifecycle operation is a chain of short
 * synchronous stretches (validate, plan, write state, ...) between awaits;
 * when fifty of them become ready in the same loop turn (fifty resolved
 * promises, fifty sockets readable in one poll), they run back to back and
 * the program's own timers and I/O wait for all of them. `nextSlice()` at
 * the start of each stretch lets it run at once while the turn has used
 * less than BUDGET_MS, and otherwise defers it to a later turn, one stretch
 * per turn, first come first served. With nothing else queued it costs a
 * microtask or two.
 *
 * The state lives on globalThis: each operation is bundled into a file of
 * its own (dist/commands/NAME.cjs), and all of them must share one queue.
 */
const BUDGET_MS = 4;

/** process.hrtime, not performance.now(): the global `performance` loads ten of Node's modules into every CLI command. */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
}
interface SliceState {
  turnStart: number;
  turnOpen: boolean;
  queue: Waiter[];
  /** A grant is under way: the next one comes when the current stretch has run. */
  granting: boolean;
}

const KEY = Symbol.for('tsrun.loop-slice');
const state: SliceState =
  ((globalThis as Record<symbol, unknown>)[KEY] as SliceState | undefined) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = { turnStart: 0, turnOpen: false, queue: [], granting: false } as SliceState);

/** Starts the clock of this loop turn, once per turn. */
function openTurn(): void {
  if (state.turnOpen) return;
  state.turnOpen = true;
  state.turnStart = nowMs();
  setImmediate(() => (state.turnOpen = false));
}

/**
 * Resolves when the caller's next stretch may run: in this turn while it
 * has used less than the budget, else in a later one. Callers are let
 * through one at a time, so that the budget is checked after each stretch
 * has run rather than when fifty of them ask at once.
 */
export function nextSlice(): Promise<void> {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  state.queue.push({ promise, resolve });
  if (!state.granting) {
    state.granting = true;
    queueMicrotask(grant);
  }
  return promise;
}

function grant(): void {
  const next = state.queue[0];
  if (!next) {
    state.granting = false;
    return;
  }
  openTurn();
  if (nowMs() - state.turnStart >= BUDGET_MS) {
    setImmediate(() => {
      state.turnOpen = true;
      state.turnStart = nowMs();
      setImmediate(() => (state.turnOpen = false));
      grant();
    });
    return;
  }
  state.queue.shift();
  next.resolve();
  // Registered after the caller's own await on the same promise: runs once its stretch has.
  next.promise.then(grant, grant);
}
