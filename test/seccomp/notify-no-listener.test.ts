// A SCMP_ACT_NOTIFY rule with no listenerPath: refused before anything is
// made, in runc's words ("seccomp listenerPath is not set"; runc 1.1.5 says
// "listenerPath is not set"), naming the field.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { logMessages, makeBundle, stateRoot, uniqueId } from '../helpers.js';
import { NO_RUNC, runcRun } from '../isolation/runc-run.js';

const edit = (s: Parameters<Parameters<typeof makeBundle>[1] & object>[0]) => {
  s.process!.args = ['true'];
  s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_NOTIFY' }] };
};

t.test('tsrun', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, edit);
  const id = uniqueId('spec13-notify');
  const r = await run(['create', '--bundle', dir, id]);
  t.equal(r.code, 1);
  t.match(logMessages(r.stderr), /listenerPath: seccomp listenerPath is not set \(SCMP_ACT_NOTIFY needs a listener socket\)/);
  t.notOk(existsSync(join(root, id)), 'no state directory');
});

t.test('runc', { skip: NO_RUNC }, async (t) => {
  const { dir } = makeBundle(t, edit);
  const r = runcRun(t, dir);
  t.not(r.status, 0);
  t.match(r.stderr, /listenerPath is not set/);
});
