// scripts/check-deps.mjs: src/ follows the allowed direction, and the check
// catches an import against it (the fixture trees are tiny copies of src/'s shape).
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TOP } from '../helpers.js';

const script = join(TOP, 'scripts/check-deps.mjs');
const check = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

function tree(t: Test, files: Record<string, string>): string {
  const dir = t.testdir();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

t.test('src/ passes', async (t) => {
  const r = check();
  t.equal(r.status, 0, r.stderr);
});

t.test('an import against the direction fails, naming the edge', async (t) => {
  const ok = tree(t, {
    'plan/build.ts': "import { Op } from '../native/ops.js';\nimport { planMounts } from '../rootfs/mounts.js';\n",
    'rootfs/mounts.ts': "import type { Op } from '../native/ops.js';\n",
    'native/ops.ts': 'export const Op = {};\n',
  });
  t.equal(check('--src', ok).status, 0, 'control: downward imports pass');
  const bad = tree(t, {
    'plan/build.ts': "import { planMounts } from '../rootfs/mounts.js';\n",
    // a type-only import and a dynamic one count as well
    'rootfs/mounts.ts': "import type { Op } from '../plan/op.js';\nexport const x = () => import('../plan/build.js');\n",
    'plan/op.ts': '',
    'native/errno.ts': "// import { no } from '../plan/op.js'; (a comment is not an import)\nexport * from '../plan/op.js';\n",
  });
  const r = check('--src', bad);
  t.equal(r.status, 1);
  t.match(r.stderr, 'rootfs/mounts.ts -> plan/op.ts: rootfs may not import plan');
  t.match(r.stderr, 'rootfs/mounts.ts -> plan/build.ts: rootfs may not import plan');
  t.match(r.stderr, 'native/errno.ts -> plan/op.ts: native may not import plan');
  t.match(r.stderr, /3 problem\(s\)/, 'and nothing else: the comment is not an import');
});
