// The default --root, runc's rule (shouldHonorXDGRuntimeDir): an unprivileged
// caller cannot write /run, so it keeps state under $XDG_RUNTIME_DIR, as
// conmon (rootless podman) expects, since it passes no --root.
import { join } from 'node:path';
import { runningInUserNs } from '../linux/userns.js';
import { DEFAULT_ROOT } from './store.js';

/**
 * $XDG_RUNTIME_DIR/tsrun when XDG_RUNTIME_DIR is set and the caller is not
 * root, or is root only inside a user namespace (unless USER=root: a real
 * root shell there keeps /run/tsrun); /run/tsrun otherwise.
 */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env, euid = process.geteuid?.() ?? 0): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (!xdg) return DEFAULT_ROOT;
  if (euid !== 0) return join(xdg, 'tsrun');
  // euid 0 in the initial namespace: real root, /run/tsrun even if XDG_RUNTIME_DIR is /run/user/0.
  if (!runningInUserNs()) return DEFAULT_ROOT;
  return env.USER === undefined || env.USER !== 'root' ? join(xdg, 'tsrun') : DEFAULT_ROOT;
}

