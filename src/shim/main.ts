/**
 * containerd-shim-tsrun-v2: containerd's runtime v2 shim for tsrun
 * (runtime name io.containerd.tsrun.v2). Runs containers in-process
 * through tsrun's library; never spawns the tsrun CLI.
 */
import { parseFlags } from './flags.js';

declare const TSRUN_VERSION: string;

async function main(): Promise<void> {
  let f;
  try {
    f = parseFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`containerd-shim-tsrun-v2: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (f.version) {
    process.stdout.write(`containerd-shim-tsrun-v2:\n  Version: ${TSRUN_VERSION}\n`);
    return;
  }
  if (!f.namespace) throw new Error('shim namespace cannot be empty');
  switch (f.action) {
    case 'start':
      return (await import('./start.js')).start(f);
    case 'delete':
      return (await import('./delete.js')).deleteTask(f);
    default:
      return (await import('./serve.js')).serve(f);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`containerd-shim-tsrun-v2: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
