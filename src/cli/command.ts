import type { Runtime } from '../index.js';
import type { FlagSpec, Parsed } from './args.js';
import type { CliLogger } from './log.js';
import { TsrunError } from '../errors.js';

export interface GlobalContext {
  runtime: Runtime;
  log: CliLogger;
  /** The global --criu: the CRIU binary for checkpoint and restore. */
  criu?: string;
}

/** One CLI command: its flags, and what it does with them. Returns the exit status. */
export interface Command {
  synopsis: string;
  description: string;
  flags: FlagSpec[];
  /** Stop flag parsing after this many positionals (exec's command line). */
  stopAfter?: number;
  run(args: Parsed, g: GlobalContext): Promise<number>;
}

/** The container id: the first positional, required. */
export function idArg(args: Parsed, name: string): string {
  const id = args.positionals[0];
  if (!id) throw new TsrunError(`"${name}" requires a container id`);
  return id;
}

/** A command that takes only a container id and calls one Runtime method. */
export function idOnlyCommand(name: string, description: string, act: (g: GlobalContext, id: string) => Promise<void>): Command {
  return {
    synopsis: '<container-id>',
    description,
    flags: [],
    async run(args, g) {
      await act(g, idArg(args, name));
      return 0;
    },
  };
}
