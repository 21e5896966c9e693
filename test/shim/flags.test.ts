// The shim's command line as containerd 1.6 and 1.7 write it (Go flag syntax).
import t from 'tap';
import { parseFlags } from '../../src/shim/flags.js';

t.test('containerd 1.6 start line', async (t) => {
  const f = parseFlags(['-namespace', 'k8s.io', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'abc', '-debug', 'start']);
  t.match(f, { namespace: 'k8s.io', address: '/run/containerd/containerd.sock', publishBinary: '/usr/bin/containerd', id: 'abc', debug: true, action: 'start' });
});

t.test('-name=value, --name, -bundle, delete; the daemon has no action', async (t) => {
  t.match(parseFlags(['--namespace=ns', '-id=x', '-bundle', '/b', 'delete']), { namespace: 'ns', id: 'x', bundle: '/b', action: 'delete', debug: false });
  t.match(parseFlags(['-namespace', 'ns', '-id', 'x', '-address', '/a']), { action: '' });
  t.match(parseFlags(['-debug=false', '-namespace', 'ns']), { debug: false });
  t.match(parseFlags(['-v']), { version: true });
  // The daemon the sh front end starts makes its own socket.
  t.match(parseFlags(['-namespace', 'ns', '-address', '/a', '-id', 'x', '-listen']), { listen: true, action: '' });
});

t.test('errors name the flag', async (t) => {
  t.throws(() => parseFlags(['-bogus']), /flag provided but not defined: -bogus/);
  t.throws(() => parseFlags(['-id']), /flag needs an argument: -id/);
  t.throws(() => parseFlags(['-id', 'x', 'stop']), /unknown action "stop"/);
});
