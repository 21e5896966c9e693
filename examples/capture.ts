// Runs one command in a container and prints what it wrote and how it ended.
//   node examples/capture.ts [ROOTFS] [COMMAND...]    (as root; ROOTFS: bundles/busybox/rootfs)
import { Runtime, defaultSpec } from 'tsrun';

const [rootfs = 'bundles/busybox/rootfs', ...command] = process.argv.slice(2);
const spec = await defaultSpec();
spec.process!.terminal = false;
spec.process!.args = command.length ? command : ['sh', '-c', 'echo hello from $(hostname); echo oops >&2; exit 3'];

const rt = new Runtime({ root: '/run/tsrun-examples' });
const result = await rt.run(`capture-${process.pid}`, { spec, rootfs, capture: true });
process.stdout.write(`stdout: ${JSON.stringify(result.stdout!.toString())}\n`);
process.stdout.write(`stderr: ${JSON.stringify(result.stderr!.toString())}\n`);
process.stdout.write(`exit: ${JSON.stringify({ exitCode: result.exitCode, signal: result.signal, oomKilled: result.oomKilled })}\n`);
