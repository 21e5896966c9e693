import { TsrunError } from '../errors.js';

export interface FlagSpec {
  name: string;
  alias?: string;
  kind: 'bool' | 'string' | 'list';
  help: string;
}

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses flags the way runc's CLI accepts them: `--name value`,
 * `--name=value`, `-n value`, single or double dash, bools bare or with
 * `=true/false`. Parsing stops at `--`, and after `stopAfter` positionals
 * (exec: everything after the id is the command).
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], stopAfter = Infinity): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    if (s.alias) byName.set(s.alias, s);
  }
  const out: Parsed = { flags: {}, positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (out.positionals.length >= stopAfter) {
      out.positionals.push(...argv.slice(i));
      break;
    }
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) throw new TsrunError(`flag provided but not defined: -${name}`);
    if (spec.kind === 'bool') {
      const v = eq >= 0 ? body.slice(eq + 1) : 'true';
      if (v !== 'true' && v !== 'false') throw new TsrunError(`invalid boolean value ${JSON.stringify(v)} for -${name}`);
      out.flags[spec.name] = v === 'true';
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new TsrunError(`flag needs an argument: -${name}`);
      value = argv[++i]!;
    }
    if (spec.kind === 'list') out.flags[spec.name] = [...((out.flags[spec.name] as string[]) ?? []), value];
    else out.flags[spec.name] = value;
  }
  return out;
}

/** A command's help in runc's (urfave/cli's) layout: NAME, USAGE, OPTIONS. */
export function commandHelp(name: string, cmd: { synopsis: string; description: string; flags: readonly FlagSpec[] }): string {
  const lines = ['NAME:', `   tsrun ${name} - ${cmd.description}`, '', 'USAGE:', `   tsrun ${name} ${cmd.synopsis}`];
  if (cmd.flags.length) lines.push('', 'OPTIONS:', optionLines(cmd.flags));
  return lines.join('\n');
}

/** Option rows as urfave/cli prints them: "--name value, -n value" padded to the longest, two spaces, help. */
export function optionLines(specs: readonly FlagSpec[]): string {
  const names = specs.map((s) => {
    const v = s.kind === 'bool' ? '' : ' value';
    return `--${s.name}${v}${s.alias ? `, -${s.alias}${v}` : ''}`;
  });
  const w = Math.max(...names.map((n) => n.length));
  return specs.map((s, i) => `   ${names[i]!.padEnd(w)}  ${s.help}`).join('\n');
}

/** A non-negative integer flag value. */
export function intFlag(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new TsrunError(`invalid value ${JSON.stringify(v)} for --${name}: must be a whole number`);
  return Number(v);
}
