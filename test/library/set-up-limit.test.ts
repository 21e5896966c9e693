// Runtime's setUpConcurrency: how many creates (and starts) run at once.
// Each create runs a createRuntime hook that logs when it starts and ends
// and sleeps between: with a limit of 1 no two of them overlap, with the
// limit above the number of creates they do (so the check can fail).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, uniqueId, type Teardown } from '../helpers.js';
import { shSpec, testRuntime } from './helpers.js';

/** The largest number of hooks running at once, from their start and end lines. */
function mostAtOnce(log: string): number {
  const events = log
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([what, ns]) => ({ delta: what === 'start' ? 1 : -1, at: BigInt(ns) }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.delta - b.delta));
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.delta));
  return most;
}

async function overlap(t: Teardown, limit: number): Promise<number> {
  const log = join(tempDir(t, 'setups'), 'log');
  const rt = testRuntime(t, { setUpConcurrency: limit });
  const spec = shSpec('true', (s) => {
    s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo start $(date +%s%N) >> ${log}; sleep 0.3; echo end $(date +%s%N) >> ${log}`] }] };
  });
  const cs = await Promise.all([1, 2, 3].map(() => rt.create(uniqueId('setups'), { spec, stdio: ['ignore', 'ignore', 'ignore'] })));
  for (const c of cs) await c.delete({ force: true });
  return mostAtOnce(readFileSync(log, 'utf8'));
}

t.test('setUpConcurrency 1: three concurrent creates run one after another', async (t) => {
  t.equal(await overlap(t, 1), 1);
});

t.test('setUpConcurrency 3: the same three creates overlap', async (t) => {
  t.ok((await overlap(t, 3)) > 1);
});

t.test('a setUpConcurrency that is not a positive integer is refused', async (t) => {
  for (const bad of [0, -1, 1.5, NaN]) {
    t.throws(() => testRuntime(t, { setUpConcurrency: bad }), { name: 'TsrunError', code: 'ERR_INVALID_ARGUMENT', message: /^setUpConcurrency: / }, String(bad));
  }
});
