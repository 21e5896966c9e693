import type { ChildProcess } from 'node:child_process';
import { childProcess } from '../builtins.js';
import { TsrunError } from '../errors.js';
import type { Hook } from '../spec/types.js';

export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

const OUTPUT_LIMIT = 4096;

/** A hook started elsewhere (hooks/in-container.ts): its process, and the set-up step that failed, if one did. */
export interface StartedHook {
  child: ChildProcess;
  /** Settled by the time the process has ended: null, or why it never ran the hook. */
  setupFailure: Promise<Error | null>;
}

/**
 * Runs one hook to completion: its path with its args (args[0] is argv[0]),
 * only its own env, the state on stdin, killed after `timeout` seconds.
 * `start` lets a hook run elsewhere (in the container's namespaces): it gets
 * the hook and returns the spawned process (and how its set-up failed, if
 * it did: StartedHook). Throws a TsrunError naming the
 * hook kind, path and what went wrong, with the hook's output.
 */
export async function runHook(kind: HookKind, index: number, hook: Hook, state: string, start?: (hook: Hook) => StartedHook): Promise<void> {
  const started = start?.(hook);
  // childProcess(): loaded on first use, as most containers have no hooks.
  const child = started
    ? started.child
    : childProcess().spawn(hook.path, (hook.args ?? [hook.path]).slice(1), {
        argv0: hook.args?.[0] ?? hook.path,
        env: envObject(hook.env),
        detached: true, // its own process group, so that a timeout kills what it forked too
        stdio: ['pipe', 'pipe', 'pipe'],
      });
  let output = '';
  const collect = (d: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += d.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.stdin?.on('error', () => {}); // a hook need not read its stdin
  child.stdin?.end(state);
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const { code, signal, error } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((res) => {
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on('error', (e) => res({ code: null, signal: null, error: e }));
    child.on('exit', (c, s) => {
      exited = { code: c, signal: s };
      if (timedOut) res(exited);
    });
    // Normally the end is 'close': exited, and its output read to the end.
    child.on('close', (c, s) => res({ code: c, signal: s }));
    if (hook.timeout) {
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
        // Something it forked may still hold the output pipes: do not wait for them.
        if (exited) res(exited);
      }, hook.timeout * 1000);
    }
  });
  if (timer) clearTimeout(timer);
  child.stdout?.destroy();
  child.stderr?.destroy();
  const what = `${kind} hook ${index} (${hook.path})`;
  const tail = output.trim() ? `: ${output.trim()}` : '';
  // The executor that runs the hook reports a failed set-up op before it exits: by now it has arrived.
  const setup = started ? await Promise.race([started.setupFailure, Promise.resolve(null)]) : null;
  if (error)
    throw new TsrunError(`${what}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, {
      code: 'ERR_HOOK',
      pointer: `/hooks/${kind}/${index}`,
      path: hook.path,
      errno: (error as NodeJS.ErrnoException).code,
      cause: error,
    });
  if (timedOut) throw new TsrunError(`${what}: timed out after ${hook.timeout}s`, { code: 'ERR_TIMEOUT', pointer: `/hooks/${kind}/${index}`, path: hook.path });
  if (setup) {
    const facts = setup instanceof TsrunError ? { ...(setup.errno ? { errno: setup.errno } : {}), ...(setup.op !== undefined ? { op: setup.op } : {}) } : {};
    throw new TsrunError(`${what}: ${setup.message}`, { code: 'ERR_HOOK', pointer: `/hooks/${kind}/${index}`, path: hook.path, ...facts, cause: setup });
  }
  if (signal) throw new TsrunError(`${what}: killed by ${signal}${tail}`, { code: 'ERR_HOOK', pointer: `/hooks/${kind}/${index}`, path: hook.path });
  if (code !== 0) throw new TsrunError(`${what}: exit status ${code}${tail}`, { code: 'ERR_HOOK', pointer: `/hooks/${kind}/${index}`, path: hook.path });
}

/** SIGKILL to the hook's process group (it leads one), or to the hook alone. */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Runs hooks in order; the first failure stops the rest. */
export async function runHooks(kind: HookKind, hooks: readonly Hook[] | undefined, state: string, start?: (hook: Hook) => StartedHook): Promise<void> {
  for (const [i, h] of (hooks ?? []).entries()) await runHook(kind, i, h, state, start);
}

function envObject(env: readonly string[] | undefined): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}
