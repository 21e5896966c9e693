// `tsrun features` is valid against the spec's features-schema.json and names this build.
import t from 'tap';
import { validateFeatures } from '../../src/spec/generated/validate-config.js';
import { tsrun } from '../helpers.js';

t.test('features JSON', async (t) => {
  const r = await tsrun(['features']);
  t.equal(r.code, 0);
  const f = JSON.parse(r.stdout);
  t.ok(validateFeatures(f), JSON.stringify(validateFeatures.errors));
  t.equal(f.ociVersionMax, '1.3.0');
  t.same(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  t.equal(f.linux.cgroup.systemd, true, 'the systemd driver (--systemd-cgroup)');
  t.ok(f.mountOptions.includes('rbind') && f.mountOptions.includes('nosuid'));
  t.equal(f.annotations['org.opencontainers.runtime-spec.features.runtime.name'], 'tsrun');
});
