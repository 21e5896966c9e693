/**
 * Loads one lifecycle operation's code on first use. A build bundles each
 * operation into its own CommonJS file, dist/ops/NAME.cjs, and a command
 * then loads just two files (the CLI and its operation): Node's ES-module
 * loader and every extra file cost each short-lived command several ms.
 * From source (tests run the TypeScript directly), the module is imported.
 */
declare const TSRUN_BUNDLED: boolean | undefined;

export const OPS = ['create', 'start', 'state', 'kill', 'delete', 'run', 'exec', 'cgroup-ops', 'spec'] as const;
export type OpName = (typeof OPS)[number];

export async function loadOp<T>(name: OpName): Promise<T> {
  if (typeof TSRUN_BUNDLED !== 'undefined' && TSRUN_BUNDLED) {
    const req = require; // not a literal call: the bundler must leave it to run time
    return req(`${__dirname}/ops/${name}.cjs`) as T;
  }
  const path = name === 'spec' ? './spec/ops.js' : `./lifecycle/${name}.js`;
  return (await import(path)) as T;
}
