// loop-slice.ts: operations that are ready together share the event loop
// with the host program's timers instead of running back to back. No timing
// is asserted, only the order in which things happen.
import t from 'tap';
import { nextSlice } from '../../src/loop-slice.js';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

t.test('a timer set before twenty ready operations fires before they have all run', async (t) => {
  let done = 0;
  let firedAfter = -1;
  setTimeout(() => (firedAfter = done), 0);
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      await nextSlice();
      busy(3);
      done++;
    }),
  );
  t.equal(done, 20);
  t.ok(firedAfter >= 0 && firedAfter < 20, `the timer fired after ${firedAfter} of 20 operations`);
});

t.test('deferred stretches run first come, first served', async (t) => {
  busy(5); // this turn's budget is spent: every call below is deferred
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 5 }, async (_, i) => {
      await nextSlice();
      order.push(i);
    }),
  );
  t.same(order, [0, 1, 2, 3, 4]);
});

t.test('with the budget unspent, a stretch goes on in the same turn', async (t) => {
  await new Promise((r) => setImmediate(r)); // a fresh turn
  let immediateRan = false;
  setImmediate(() => (immediateRan = true));
  await nextSlice();
  t.equal(immediateRan, false, 'no turn passed');
});
