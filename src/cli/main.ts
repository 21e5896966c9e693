// The tsrun CLI entry: global flags, then one command, loaded on demand so
// that each command pays only for its own code.
import { writeOut } from './output.js';
import { commandHelp, optionLines, parseArgs, type FlagSpec } from './args.js';
import { CliLogger } from './log.js';
import type { Command } from './command.js';
import { Runtime, TsrunError, DEFAULT_ROOT } from '../index.js';
import { cutLines } from '../text.js';

declare const TSRUN_VERSION: string;
declare const TSRUN_COMMIT: string;

const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  create: () => import('./commands/create.js'),
  start: () => import('./commands/start.js'),
  state: () => import('./commands/state.js'),
  kill: () => import('./commands/kill.js'),
  delete: () => import('./commands/delete.js'),
  run: () => import('./commands/run.js'),
  exec: () => import('./commands/exec.js'),
  list: () => import('./commands/list.js'),
  spec: () => import('./commands/spec.js'),
  features: () => import('./commands/features.js'),
  pause: () => import('./commands/pause.js'),
  resume: () => import('./commands/resume.js'),
  ps: () => import('./commands/ps.js'),
  update: () => import('./commands/update.js'),
  events: () => import('./commands/events.js'),
  checkpoint: () => import('./commands/checkpoint.js'),
  restore: () => import('./commands/restore.js'),
};

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'root', kind: 'string', help: `state directory (default ${DEFAULT_ROOT}, or $XDG_RUNTIME_DIR/tsrun when not root)` },
  { name: 'log', kind: 'string', help: 'log file (default: stderr)' },
  { name: 'log-format', kind: 'string', help: 'text or json (default text)' },
  { name: 'debug', kind: 'bool', help: 'log debug output, including the time of each create phase' },
  { name: 'systemd-cgroup', kind: 'bool', help: 'make each container\'s cgroup a transient systemd scope (cgroupsPath "slice:prefix:name")' },
  { name: 'rootless', kind: 'string', help: 'true, false or auto (default): whether the cgroup hierarchy may be unwritable, as runc' },
  { name: 'criu', kind: 'string', help: 'path to the criu binary for checkpoint and restore (default: criu on PATH)' },
  { name: 'version', alias: 'v', kind: 'bool', help: 'print the version' },
  { name: 'help', alias: 'h', kind: 'bool', help: 'show help' },
];

function versionText(): string {
  return `tsrun version ${TSRUN_VERSION}\ncommit: ${TSRUN_COMMIT}\nspec: 1.3.0\n`;
}

/** The top-level help in runc's (urfave/cli's) layout; loads every command for its one-line description. */
async function mainHelp(): Promise<string> {
  const rows: [string, string][] = [];
  for (const [name, load] of Object.entries(COMMANDS)) rows.push([name, (await load()).default.description]);
  rows.push(['help, h', 'Shows a list of commands or help for one command']);
  const w = Math.max(...rows.map(([n]) => n.length));
  return [
    'NAME:',
    '   tsrun - Open Container Initiative runtime, command-compatible with runc',
    '',
    'USAGE:',
    '   tsrun [global options] command [command options] [arguments...]',
    '',
    'VERSION:',
    `   ${versionText()
      .replace(/^tsrun version /, '')
      .trimEnd()}`,
    '',
    'COMMANDS:',
    ...rows.map(([n, d]) => `   ${n.padEnd(w)}  ${d}`),
    '',
    'GLOBAL OPTIONS:',
    optionLines(GLOBAL_FLAGS),
    '',
  ].join('\n');
}

/** `tsrun help [COMMAND]`, `tsrun COMMAND --help`: exit 3 for an unknown topic, as runc. */
async function helpFor(name: string | undefined): Promise<number> {
  if (name === undefined || name === 'help' || name === 'h') {
    writeOut(await mainHelp());
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new TsrunError(`No help topic for '${name}'`, { code: 'ERR_INVALID_ARGUMENT', exitCode: 3 });
  writeOut(commandHelp(name, (await load()).default) + '\n');
  return 0;
}

async function main(argv: string[]): Promise<number> {
  // Global flags come before the command name.
  const cmdIndex = argv.findIndex((a, i) => !a.startsWith('-') && !isValueOfGlobal(argv, i));
  const globalArgs = parseArgs(cmdIndex < 0 ? argv : argv.slice(0, cmdIndex), GLOBAL_FLAGS);
  const g = globalArgs.flags;
  const format = (g['log-format'] as string | undefined) ?? 'text';
  const log = new CliLogger(g.log as string | undefined, format === 'json' ? 'json' : 'text', g.debug === true);
  try {
    if (format !== 'text' && format !== 'json') throw new TsrunError(`invalid log format ${JSON.stringify(format)}: use text or json`);
    if (g.version) {
      writeOut(versionText());
      return 0;
    }
    if (cmdIndex < 0 || g.help) return await helpFor(undefined);
    const name = argv[cmdIndex]!;
    const rest = argv.slice(cmdIndex + 1);
    if (name === 'help' || name === 'h') return await helpFor(rest.find((a) => !a.startsWith('-')));
    const load = COMMANDS[name];
    if (!load) throw new TsrunError(`No help topic for '${name}'`, { code: 'ERR_INVALID_ARGUMENT', exitCode: 3 });
    if (rest.includes('--help') || rest.includes('-h')) return await helpFor(name);
    exitAtOnce = EXIT_AT_ONCE.has(name);
    const cmd = (await load()).default;
    const args = parseArgs(rest, cmd.flags, cmd.stopAfter);
    const runtime = new Runtime({ root: g.root as string | undefined, log, rootless: rootlessFlag(g.rootless as string | undefined), systemdCgroup: g['systemd-cgroup'] === true, blocking: true });
    return await cmd.run(args, { runtime, log, criu: g.criu as string | undefined });
  } catch (e) {
    const msg = cutLines(e instanceof TsrunError ? e.message : `internal error: ${(e as Error)?.stack ?? e}`);
    log.error(msg);
    if (log.logsToFile) writeOut(msg + '\n', 2);
    return e instanceof TsrunError ? e.exitCode : 1;
  }
}

/** --rootless true|false|auto, as runc parses it. */
function rootlessFlag(v: string | undefined): boolean | 'auto' {
  if (v === undefined || v === 'auto') return 'auto';
  // Go's strconv.ParseBool, which runc uses.
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new TsrunError(`invalid --rootless value ${JSON.stringify(v)}: use true, false or auto`, { code: 'ERR_INVALID_ARGUMENT' });
}

/** True when argv[i] is the value of a global flag that takes one (`--root /x`). */
function isValueOfGlobal(argv: string[], i: number): boolean {
  if (i === 0) return false;
  const prev = argv[i - 1]!;
  if (!prev.startsWith('-') || prev.includes('=')) return false;
  const spec = GLOBAL_FLAGS.find((f) => `--${f.name}` === prev || `-${f.name}` === prev || (f.alias && `-${f.alias}` === prev));
  return spec !== undefined && spec.kind !== 'bool';
}

/**
 * Commands that have nothing left running when they return: their output is
 * written with write(2) and every child they started has been waited for.
 * They exit at once rather than through Node's teardown of the heap and the
 * environment, which is 2-4 ms of CPU a short command has no use for. `run`,
 * `exec` and `events` may still be copying a container's output through
 * streams when they return, and CRIU's commands leave it to finish: they end
 * the usual way.
 */
const EXIT_AT_ONCE = new Set(['create', 'start', 'state', 'kill', 'delete', 'list', 'ps', 'pause', 'resume', 'update', 'spec', 'features']);
let exitAtOnce = false;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    if (exitAtOnce) process.exit(code);
  },
  (e) => {
    writeOut(`internal error: ${e?.stack ?? e}\n`, 2);
    process.exitCode = 1;
  },
);
