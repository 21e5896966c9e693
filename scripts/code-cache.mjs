// Writes dist/commands/create.v8cache, V8's code cache for create's bundle, by
// one training run of the built CLI: `create --dry-run` of the seccomp
// example bundle (validation, the plan, the seccomp compiler) with
// TSRUN_WRITE_CODE_CACHE=1, which makes command-loader.ts save at exit what V8
// compiled. A create then skips most compiling: ~12 ms of ~120 here
// (docs/bench.md). run loads the same bundle. A failed training run leaves
// no cache, and tsrun works as before, only slower.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'tsrun-code-cache-'));
try {
  const config = JSON.parse(readFileSync(join(top, 'bundles/busybox-seccomp/config.json'), 'utf8'));
  config.root = { path: 'rootfs' }; // an empty directory: a dry run only checks that it is one
  mkdirSync(join(tmp, 'rootfs'));
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config));
  const env = { ...process.env, TSRUN_WRITE_CODE_CACHE: '1' };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [join(top, 'dist/cli.cjs'), '--root', join(tmp, 'state'), 'create', '--dry-run', '--bundle', tmp, 'code-cache-training'], { env, encoding: 'utf8' });
  const cache = join(top, 'dist/commands/create.v8cache');
  if (r.status !== 0 || !existsSync(cache)) {
    rmSync(cache, { force: true });
    console.warn(`code-cache: no cache for create (training run: ${r.status === 0 ? 'wrote nothing' : (r.stderr || `status ${r.status}`).trim()})`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
