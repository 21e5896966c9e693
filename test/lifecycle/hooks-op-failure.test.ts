// A hook that runs in the container's namespaces is started by an executor;
// when one of its ops fails (finding the hook, its cwd), the executor says
// which ("E op errno"). That line must reach the error, not be dropped for a
// bare "exit status 1" (issue 13, section 3).
import t from 'tap';
import { logMessages, makeBundle, stateRoot, uniqueId } from '../helpers.js';

t.test('createContainer: a hook that is not there is reported by the op that failed', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['true'];
    s.hooks = { createContainer: [{ path: '/no/such/hook' }] };
  });
  const id = uniqueId('gen-hookop');
  const r = await run(['run', '--bundle', dir, id]);
  t.not(r.code, 0, 'run fails');
  t.match(logMessages(r.stderr), /createContainer hook 0 \(\/no\/such\/hook\): find \/no\/such\/hook: ENOENT \(op \d+ of \d+\)/, 'names the failed op and its errno');
  const list = await run(['list', '--format', 'json']);
  t.notMatch(list.stdout, id, 'and leaves no container behind');
});

t.test('startContainer: the same, at start', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['true'];
    s.hooks = { startContainer: [{ path: '/no/such/start-hook' }] };
  });
  const id = uniqueId('gen-hookop-s');
  t.teardown(() => run(['delete', '--force', id]));
  const c = await run(['create', '--bundle', dir, id]);
  t.equal(c.code, 0, c.stderr);
  const s = await run(['start', id]);
  t.not(s.code, 0, 'start fails');
  t.match(logMessages(s.stderr), /startContainer hook 0 \(\/no\/such\/start-hook\): find \/no\/such\/start-hook: ENOENT \(op \d+ of \d+\)/, 'names the failed op and its errno');
});
