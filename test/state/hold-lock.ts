// Child of lock.test.ts: takes the lock of the directory in argv[2], says
// "held" on stdout, then waits to be killed.
import { lockDir } from '../../src/state/lock.js';

await lockDir(process.argv[2]!);
process.stdout.write('held\n');
setInterval(() => {}, 1000);
