import type { Spec } from '../spec/types.js';

/**
 * Socket activation, as runc does it: when tsrun itself was started with
 * LISTEN_FDS=n (systemd), those n fds (3 .. 3+n-1) go to the container too,
 * after the --preserve-fds ones, and the container's process is told
 * LISTEN_FDS=n and LISTEN_PID=1.
 */
export function withListenFds(spec: Spec, preserveFds: number, env: NodeJS.ProcessEnv = process.env): { spec: Spec; preserveFds: number } {
  const n = Number(env.LISTEN_FDS);
  if (!Number.isInteger(n) || n <= 0 || !spec.process) return { spec, preserveFds };
  const keep = (spec.process.env ?? []).filter((e) => !e.startsWith('LISTEN_FDS=') && !e.startsWith('LISTEN_PID='));
  return {
    spec: { ...spec, process: { ...spec.process, env: [...keep, `LISTEN_FDS=${n}`, 'LISTEN_PID=1'] } },
    preserveFds: preserveFds + n,
  };
}
