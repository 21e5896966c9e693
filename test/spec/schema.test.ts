// The generated validator against upstream's own example documents, and the
// rules the schema cannot express. No root needed.
import t from 'tap';
import { readdirSync, readFileSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { validateSpec } from '../../src/spec/validate.js';
import { validateConfig } from '../../src/spec/generated/validate-config.js';
import { defaultSpec, rootlessSpec } from '../../src/spec/defaults.js';
import { TOP } from '../helpers.js';

const dir = join(TOP, 'schema/test/config');

// Upstream's good examples include FreeBSD and z/OS configs and old versions:
// valid against the schema, not all runnable on Linux, so the schema alone here.
t.test('upstream good configs pass the schema', async (t) => {
  for (const f of readdirSync(join(dir, 'good'))) {
    const spec = JSON.parse(readFileSync(join(dir, 'good', f), 'utf8'));
    t.ok(validateConfig(spec), `${f}: ${JSON.stringify(validateConfig.errors)}`);
  }
});

t.test('upstream bad configs are refused with file, pointer and rule', async (t) => {
  for (const f of readdirSync(join(dir, 'bad'))) {
    let spec: unknown;
    try {
      spec = JSON.parse(readFileSync(join(dir, 'bad', f), 'utf8'));
    } catch {
      continue; // not JSON at all: loadBundle's parse error covers it (test/errors)
    }
    t.throws(() => validateSpec(spec), { message: /^config\.json: \/\S*: / }, f);
  }
});

t.test('schema error wording', async (t) => {
  const spec = defaultSpec() as { process: { user: { uid: unknown } } };
  spec.process.user.uid = 'abc';
  t.throws(() => validateSpec(spec), { message: 'config.json: /process/user/uid: must be integer' });
});

t.test('semantic rules', async (t) => {
  const bundle = mkdtempSync('/tmp/tsrun-test-spec-');
  t.teardown(() => rmSync(bundle, { recursive: true, force: true }));
  mkdirSync(join(bundle, 'rootfs'));
  const cases: [string, (s: ReturnType<typeof defaultSpec>) => void, RegExp][] = [
    ['missing rootfs', (s) => (s.root!.path = 'nope'), /\/root\/path: .*nope does not exist/],
    ['duplicate namespace', (s) => s.linux!.namespaces!.push({ type: 'pid' }), /namespace pid is given twice/],
    ['unknown capability', (s) => s.process!.capabilities!.bounding!.push('CAP_NOPE'), /unknown capability "CAP_NOPE"/],
    ['relative mount destination', (s) => (s.mounts![0]!.destination = 'proc'), /\/mounts\/0\/destination: "proc" must be an absolute path/],
    ['ociVersion 2', (s) => (s.ociVersion = '2.0.0'), /\/ociVersion: "2.0.0" is not a 1.x version/],
    ['hostname without uts', (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts')), /\/hostname: needs a uts namespace/],
    [
      'net sysctl without a network namespace',
      (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
        s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      },
      /needs a network namespace/,
    ],
    ['host sysctl', (s) => (s.linux!.sysctl = { 'vm.swappiness': '1' }), /not a namespaced sysctl/],
  ];
  for (const [name, edit, re] of cases) {
    const spec = defaultSpec();
    edit(spec);
    t.throws(() => validateSpec(spec, { bundle }), { message: re }, name);
  }
  t.doesNotThrow(() => validateSpec(defaultSpec(), { bundle }), 'the default spec is valid');
  t.doesNotThrow(() => validateSpec(rootlessSpec(1000, 1000), { bundle }), 'the rootless spec is valid');
});
