import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TsrunError } from '../errors.js';

/** The platforms the package ships a prebuilt static executor for (the Makefile's EXECUTORS). */
export const PREBUILT_PLATFORMS: readonly string[] = ['linux-x64', 'linux-arm64'];

/**
 * The executor binary for this machine: $TSRUN_EXECUTOR if set, else
 * dist/executor/PLATFORM-ARCH/tsrun-executor. The package ships one per
 * supported platform, so installing needs no C compiler; a developer's
 * `make build` writes the same files from src/native/executor.c.
 */
export function executorPath(): string {
  const env = process.env.TSRUN_EXECUTOR;
  if (env) return env;
  const platform = `${process.platform}-${process.arch}`;
  // Found once per process: a long-lived program asks at every create (two lookups each time).
  if (found?.platform === platform) return found.path;
  // From dist/ (cli.cjs, index.cjs), dist/commands/ (a command's bundle), or src/native/ (the sources, in tests).
  for (const dir of ['./executor/', '../executor/', '../../dist/executor/']) {
    const p = fileURLToPath(new URL(`${dir}${platform}/tsrun-executor`, import.meta.url));
    if (existsSync(p)) return (found = { platform, path: p }).path;
  }
  if (!PREBUILT_PLATFORMS.includes(platform)) {
    throw new TsrunError(
      `tsrun runs containers on ${PREBUILT_PLATFORMS.join(' and ')} only, not on ${platform}` +
        (process.platform === 'linux' ? `: build an executor for it (make dist/executor/${platform}/tsrun-executor) or set TSRUN_EXECUTOR` : ''),
      { code: 'ERR_UNSUPPORTED' },
    );
  }
  throw new TsrunError(`tsrun-executor for ${platform} not found in dist/executor: run \`make build\``, { code: 'ERR_NOT_FOUND', path: `dist/executor/${platform}/tsrun-executor` });
}

let found: { platform: string; path: string } | undefined;
