// An interactive shell in a container, on a pty that tsrun hands over as a
// stream: this terminal's keys go in, the container's screen comes out, and
// window size changes follow. Exits with the shell's status.
//   node examples/shell.ts [ROOTFS]    (as root)
import { Runtime, defaultSpec } from 'tsrun';

const rootfs = process.argv[2] ?? 'bundles/busybox/rootfs';
const spec = await defaultSpec();
spec.process!.terminal = true;
spec.process!.args = ['sh'];

const rt = new Runtime({ root: '/run/tsrun-examples' });
const c = await rt.create(`shell-${process.pid}`, { spec, rootfs });
const tty = c.terminal!;
const resize = () => process.stdout.isTTY && tty.resize(process.stdout.columns, process.stdout.rows);
resize();
process.stdout.on('resize', resize);
if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.pipe(tty);
tty.pipe(process.stdout);
await c.start();
const status = await c.wait();
if (process.stdin.isTTY) process.stdin.setRawMode(false);
process.stdin.unpipe(tty);
process.stdin.pause();
await c.delete();
process.exitCode = status.exitCode ?? 128;
