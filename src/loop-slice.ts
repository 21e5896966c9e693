/**
 * Keeps the host program's event loop responsive when it runs many
 * containers at once. Each lifecycle operation is a chain of short
 * synchronous stretches (validate, plan, write state, ...) between awaits;
 * when fifty of them become ready in the same loop turn (fifty resolved
 * promises, fifty sockets readable in one poll), they run back to back and
 * the program's own timers and I/O wait for all of them. `nextSlice()` at
 * the start of each stretch lets it run at once while the turn has used
 * less than BUDGET_MS, and otherwise defers it to a later turn, one stretch
 * per turn, first come first served. With nothing else queued it costs no
 * more than a performance.now().
 *
 * The state lives on globalThis: each operation is bundled into a file of
 * its own (dist/ops/NAME.cjs), and all of them must share one queue.
 */
const BUDGET_MS = 4;

interface SliceState {
  turnStart: number;
  turnOpen: boolean;
  queue: Array<() => void>;
  granting: boolean;
}

const KEY = Symbol.for('tsrun.loop-slice');
const state: SliceState = ((globalThis as Record<symbol, unknown>)[KEY] as SliceState | undefined) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = { turnStart: 0, turnOpen: false, queue: [], granting: false } as SliceState);

/** Starts the clock of this loop turn, once per turn. */
function openTurn(): void {
  if (state.turnOpen) return;
  state.turnOpen = true;
  state.turnStart = performance.now();
  setImmediate(() => (state.turnOpen = false));
}

/** Resolves at once within the turn's budget, else in a later turn. */
export function nextSlice(): Promise<void> | void {
  openTurn();
  if (state.queue.length === 0 && performance.now() - state.turnStart < BUDGET_MS) return;
  return new Promise((resolve) => {
    state.queue.push(resolve);
    if (!state.granting) grantLater();
  });
}

/** One deferred stretch per turn: its continuation runs right after this callback. */
function grantLater(): void {
  state.granting = true;
  setImmediate(() => {
    state.turnOpen = true;
    state.turnStart = performance.now();
    setImmediate(() => (state.turnOpen = false));
    state.queue.shift()?.();
    if (state.queue.length) grantLater();
    else state.granting = false;
  });
}
