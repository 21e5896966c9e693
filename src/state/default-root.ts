// The default --root, runc's rule (shouldHonorXDGRuntimeDir): an unprivileged
// caller cannot write /run, so it keeps state under $XDG_RUNTIME_DIR, as
// conmon (rootless podman) expects, since it passes no --root.
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runningInUserNs } from '../linux/userns.js';
import { sysError } from '../errors.js';
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

/**
 * defaultRoot(), made ready as runc does when it is under $XDG_RUNTIME_DIR:
 * mode 0700 with the sticky bit, which the XDG base directory spec asks of
 * files that must survive its periodic clean-up (state of long-lived containers).
 */
export function preparedDefaultRoot(): string {
  const root = defaultRoot();
  if (root === DEFAULT_ROOT) return root;
  // As runc, for every command (its app.Before): a root we cannot make or own is an error at once.
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw sysError('mkdir', root, e);
  }
  try {
    chmodSync(root, 0o1700);
  } catch (e) {
    throw sysError('chmod', root, e);
  }
  return root;
}
