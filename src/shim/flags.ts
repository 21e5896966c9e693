/**
 * The shim's command line, as containerd writes it (Go's flag package):
 *   containerd-shim-tsrun-v2 -namespace NS -address ADDR -publish-binary BIN -id ID [-bundle DIR] [-debug] [start|delete]
 * and the daemon's own: no action, its socket as fd 3 (from start.ts), at
 * -socket ADDR, or, with -listen, one it makes itself (from front.sh).
 * Flags take `-name value`, `-name=value` or the same with `--`; the action is the first non-flag word.
 */
export interface ShimFlags {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  socket: string;
  debug: boolean;
  listen: boolean;
  version: boolean;
  action: '' | 'start' | 'delete';
}

const STRING = { namespace: 'namespace', address: 'address', 'publish-binary': 'publishBinary', id: 'id', bundle: 'bundle', socket: 'socket' } as const;
const BOOL = { debug: 'debug', listen: 'listen', v: 'version' } as const;

export function parseFlags(argv: string[]): ShimFlags {
  const f: ShimFlags = { namespace: '', address: '', publishBinary: 'containerd', id: '', bundle: '', socket: '', debug: false, listen: false, version: false, action: '' };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const [rawName, inline] = a.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    if (rawName in BOOL) {
      f[BOOL[rawName as keyof typeof BOOL]] = inline === undefined ? true : inline === 'true' || inline === '1';
    } else if (rawName in STRING) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`flag needs an argument: -${rawName}`);
      f[STRING[rawName as keyof typeof STRING]] = v;
    } else {
      throw new Error(`flag provided but not defined: -${rawName}`);
    }
  }
  const action = argv[i] ?? '';
  if (action !== '' && action !== 'start' && action !== 'delete') throw new Error(`unknown action ${JSON.stringify(action)} (want start or delete)`);
  f.action = action;
  return f;
}
