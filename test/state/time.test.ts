// The `created` timestamp is formatted by arithmetic rather than Date
// (src/state/time.ts says why): it must agree with Date to the second.
import t from 'tap';
import { rfc3339Nano } from '../../src/state/time.js';

t.test('rfc3339Nano agrees with Date.toISOString', async (t) => {
  const seconds = [0, 59, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800, 1709164800 /* 2024-02-29 */, 4102444799 /* 2099-12-31T23:59:59 */, 253402300799 /* 9999-12-31 */];
  for (let i = 0; i < 2000; i++) seconds.push(Math.floor(Math.random() * 4102444800));
  const wrong = seconds.filter((s) => rfc3339Nano(s, 0) !== new Date(s * 1000).toISOString().replace('.000', ''));
  t.same(wrong, [], 'every second from 1970 to 2099, and the edges');
});

t.test('rfc3339Nano prints nanoseconds without trailing zeros, as Go', async (t) => {
  t.equal(rfc3339Nano(1765000000, 0), '2025-12-06T05:46:40Z');
  t.equal(rfc3339Nano(1765000000, 5), '2025-12-06T05:46:40.000000005Z');
  t.equal(rfc3339Nano(1765000000, 120_000_000), '2025-12-06T05:46:40.12Z');
  t.equal(rfc3339Nano(1765000000, 999_999_999), '2025-12-06T05:46:40.999999999Z');
});
