// Every CLI command pays Node's start-up, then loads its own bundle: the
// lifecycle commands must not pull node:child_process into it (a few ms per
// command) unless they spawn something. Hooks, `ip` for netDevices and
// newuidmap load it when they run, not when the bundle loads.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOP } from '../helpers.js';

for (const cmd of ['create', 'start', 'state', 'kill', 'delete']) {
  const bundle = join(TOP, 'dist/commands', `${cmd}.cjs`);
  t.test(`loading the ${cmd} bundle loads no node:child_process`, { skip: existsSync(bundle) ? false : 'no build: run make build' }, async (t) => {
    const r = spawnSync(
      'env',
      ['-u', 'NODE_OPTIONS', process.execPath, '-e', `require(${JSON.stringify(bundle)}); process.stdout.write(process.moduleLoadList.filter((m) => /child_process/.test(m)).join(' '))`],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      },
    ); // no NODE_OPTIONS: tap's loaders load child_process
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, '', 'child_process modules loaded');
  });
}
