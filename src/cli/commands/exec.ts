import { readFileSync } from 'node:fs';
import { TsrunError } from '../../errors.js';
import type { Process } from '../../index.js';
import { intFlag } from '../args.js';
import { idArg, type Command, type GlobalContext } from '../command.js';
import type { Parsed } from '../args.js';

const command: Command = {
  synopsis: '[command options] <container-id> <command> [command options]  ||  -p process.json <container-id>',
  description: 'run a process in a running container',
  stopAfter: 1,
  flags: [
    { name: 'process', alias: 'p', kind: 'string', help: 'a JSON file holding the whole process (runtime-spec "process")' },
    { name: 'detach', alias: 'd', kind: 'bool', help: 'return once the process has started' },
    { name: 'pid-file', kind: 'string', help: 'file to write the process pid to' },
    { name: 'tty', alias: 't', kind: 'bool', help: 'allocate a pseudo-TTY' },
    { name: 'console-socket', kind: 'string', help: 'unix socket to send the pty master to' },
    { name: 'cwd', kind: 'string', help: 'working directory in the container' },
    { name: 'env', alias: 'e', kind: 'list', help: 'set an environment variable (repeatable)' },
    { name: 'user', alias: 'u', kind: 'string', help: 'uid[:gid]' },
    { name: 'additional-gids', alias: 'g', kind: 'list', help: 'an additional gid (repeatable)' },
    { name: 'cap', alias: 'c', kind: 'list', help: 'add a capability (repeatable)' },
    { name: 'no-new-privs', kind: 'bool', help: 'set no_new_privs for the process' },
    { name: 'preserve-fds', kind: 'string', help: 'pass N more fds (3 .. 3+N-1) to the process' },
    { name: 'process-label', kind: 'string', help: 'SELinux label (not supported on this host)' },
    { name: 'apparmor', kind: 'string', help: 'AppArmor profile (not supported on this host)' },
    { name: 'cgroup', kind: 'list', help: 'run in an existing sub-cgroup: [<controller>:]<path> (repeatable)' },
    { name: 'pidfd-socket', kind: 'string', help: 'unix socket to send a pidfd of the process to' },
    { name: 'ignore-paused', kind: 'bool', help: 'allow exec into a paused container' },
  ],
  async run(args, g) {
    const id = idArg(args, 'exec');
    try {
      return await execIn(id, args.flags, args.positionals.slice(1), g);
    } catch (e) {
      // runc-exec(8): a failure of exec itself exits 255, so that callers can
      // tell it from the process's own status; runc's words first.
      if (!(e instanceof TsrunError)) throw new TsrunError(`exec failed: internal error: ${(e as Error)?.stack ?? e}`, { exitCode: 255, cause: e });
      throw new TsrunError(`exec failed: ${e.message}`, { code: e.code, pointer: e.pointer, syscall: e.syscall, path: e.path, errno: e.errno, op: e.op, cause: e, exitCode: 255 });
    }
  },
};
export default command;

async function execIn(id: string, f: Parsed['flags'], argv: string[], g: GlobalContext): Promise<number> {
  let proc: Process;
  if (f.process) {
    try {
      proc = JSON.parse(readFileSync(f.process as string, 'utf8')) as Process;
    } catch (e) {
      throw new TsrunError(`--process ${f.process}: ${(e as Error).message}`);
    }
  } else {
    const { config } = await g.runtime.record(id);
    proc = processFromFlags(config.process, argv, f);
  }
  if (f['process-label'] || f.apparmor) throw new TsrunError('--process-label and --apparmor: this host has neither SELinux nor AppArmor');
  return g.runtime.exec(id, {
    process: proc,
    detach: f.detach === true,
    pidFile: f['pid-file'] as string | undefined,
    preserveFds: intFlag(f['preserve-fds'], 'preserve-fds'),
    ignorePaused: f['ignore-paused'] === true,
    consoleSocket: f['console-socket'] as string | undefined,
    cgroup: f.cgroup as string[] | undefined,
    pidfdSocket: f['pidfd-socket'] as string | undefined,
  });
}

/** The container's own process, changed by runc's exec flags (as runc builds it). */
export function processFromFlags(base: Process | undefined, argv: string[], f: Record<string, unknown>): Process {
  if (!argv.length) throw new TsrunError('exec: no command to run: give one after the container id, or --process');
  const p: Process = structuredClone(base ?? { cwd: '/' });
  p.args = argv;
  p.terminal = f.tty === true;
  p.env = [...(p.env ?? []), ...((f.env as string[] | undefined) ?? [])];
  if (f.cwd) p.cwd = f.cwd as string;
  if (f.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(f.user as string);
    if (!m) throw new TsrunError(`--user ${JSON.stringify(f.user)}: use uid[:gid] with numbers`);
    p.user = { ...p.user, uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : (p.user?.gid ?? 0) };
  }
  if (f['additional-gids']) p.user = { ...p.user, additionalGids: (f['additional-gids'] as string[]).map((x) => intFlag(x, 'additional-gids')!) };
  if (f.cap) {
    const caps = f.cap as string[];
    const c = (p.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) c[set] = [...new Set([...(c[set] ?? []), ...caps])];
  }
  if (f['no-new-privs']) p.noNewPrivileges = true;
  return p;
}
