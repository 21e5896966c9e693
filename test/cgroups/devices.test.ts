// Device rules: normalisation, the v1 emulator (runc semantics) and the v2
// eBPF program, which is run here by a small interpreter of the instructions
// it uses so its verdicts can be compared with the emulator's on many requests.
import t from 'tap';
import { DeviceEmulator, normalizeRule, normalizeRules, ruleText, runcDefaultDeviceRules, type DeviceRule } from '../../src/cgroups/devices.js';
import { DEVCG, deviceFilterInsns, encodeInsns, type BpfInsn } from '../../src/cgroups/devices-bpf.js';

const rule = (s: string, allow = true): DeviceRule => {
  const [type, mm, access] = s.split(' ');
  const [maj, min] = mm.split(':');
  return { type: type as 'a' | 'b' | 'c', major: maj === '*' ? -1 : Number(maj), minor: min === '*' ? -1 : Number(min), access, allow };
};

/** Runs the program on one request the way the kernel would. */
function run(insns: BpfInsn[], type: 'b' | 'c', major: number, minor: number, access: string): number {
  let acc = 0;
  if (access.includes('r')) acc |= DEVCG.ACC_READ;
  if (access.includes('w')) acc |= DEVCG.ACC_WRITE;
  if (access.includes('m')) acc |= DEVCG.ACC_MKNOD;
  const ctx = [(type === 'b' ? DEVCG.DEV_BLOCK : DEVCG.DEV_CHAR) | (acc << 16), major, minor];
  const r = new Array<number>(11).fill(0);
  r[1] = -1; // context pointer marker
  for (let pc = 0, steps = 0; pc < insns.length && steps < 10000; pc++, steps++) {
    const i = insns[pc];
    switch (i.code) {
      case 0x61:
        r[i.dst] = ctx[i.off / 4] >>> 0;
        break;
      case 0x54:
        r[i.dst] = (r[i.dst] & i.imm) >>> 0;
        break;
      case 0x74:
        r[i.dst] = r[i.dst] >>> i.imm;
        break;
      case 0xbc:
        r[i.dst] = r[i.src] >>> 0;
        break;
      case 0xb4:
        r[i.dst] = i.imm >>> 0;
        break;
      case 0x55:
        if (r[i.dst] !== i.imm) pc += i.off;
        break;
      case 0x5d:
        if (r[i.dst] !== r[i.src]) pc += i.off;
        break;
      case 0x15:
        if (r[i.dst] === i.imm) pc += i.off;
        break;
      case 0x95:
        return r[0];
      default:
        throw new Error(`unknown opcode ${i.code.toString(16)}`);
    }
  }
  throw new Error('program did not exit');
}

/**
 * The v1 kernel's answer (security/device_cgroup.c): allow-all denies when an
 * exception shares any requested bit; deny-all allows when one exception
 * covers every requested bit.
 */
function emulatorAllows(e: DeviceEmulator, type: 'b' | 'c', major: number, minor: number, access: string): boolean {
  const matches = e.exceptions().filter((x) => x.type === type && (x.major < 0 || x.major === major) && (x.minor < 0 || x.minor === minor));
  if (e.defaultAllow) return !matches.some((x) => [...access].some((c) => x.access.includes(c)));
  return matches.some((x) => [...access].every((c) => x.access.includes(c)));
}

t.test('normalizeRule fills the spec defaults and refuses nonsense', async (t) => {
  t.same(normalizeRule({ allow: false }, 0), { type: 'a', major: -1, minor: -1, access: 'rwm', allow: false });
  t.same(normalizeRule({ allow: true, type: 'c', major: 1, minor: 3, access: 'wr' }, 0), { type: 'c', major: 1, minor: 3, access: 'rw', allow: true });
  t.throws(() => normalizeRule({ allow: true, type: 'p' }, 2), /\/linux\/resources\/devices\/2\/type/);
  t.throws(() => normalizeRule({ allow: true, access: 'rx' }, 0), /access/);
  t.throws(() => normalizeRule({ allow: true, access: '' }, 0), /access/);
  t.equal(ruleText(rule('c 136:* rwm')), 'c 136:* rwm');
  t.equal(ruleText(rule('a 1:2 r')), 'a *:* rwm');
});

t.test('emulator: deny-all then allows is an allow list', async (t) => {
  const e = DeviceEmulator.from(normalizeRules([{ allow: false, access: 'rwm' }, ...runcDefaultDeviceRules()]));
  t.equal(e.defaultAllow, false);
  t.ok(emulatorAllows(e, 'c', 1, 3, 'rw'));
  t.ok(emulatorAllows(e, 'c', 136, 7, 'rwm'), '/dev/pts/*');
  t.ok(emulatorAllows(e, 'b', 8, 0, 'm'), 'mknod of any block device');
  t.notOk(emulatorAllows(e, 'b', 8, 0, 'r'));
  t.notOk(emulatorAllows(e, 'c', 1, 1, 'r'), '/dev/mem');
});

t.test('emulator merges and subtracts permissions; wildcard holes are refused', async (t) => {
  const e = DeviceEmulator.from([rule('a *:* rwm', false), rule('c 1:3 r'), rule('c 1:3 w'), rule('c 1:3 r', false)]);
  t.same(e.exceptions().map(ruleText), ['c 1:3 w']);
  t.throws(() => DeviceEmulator.from([rule('a *:* rwm', false), rule('c *:* m'), rule('c 1:3 m', false)]), /punch a hole/);
  // Blacklist mode: deny exceptions, an allow removes one.
  const b = DeviceEmulator.from([rule('a *:* rwm'), rule('b 8:0 w', false)]);
  t.equal(b.defaultAllow, true);
  t.notOk(emulatorAllows(b, 'b', 8, 0, 'w'));
  t.ok(emulatorAllows(b, 'b', 8, 0, 'r'));
});

t.test('transition: minimal rules, disruptive only when needed', async (t) => {
  const from = DeviceEmulator.fromList('c 1:3 rwm\nc 1:5 rwm\n');
  const to = DeviceEmulator.from([rule('a *:* rwm', false), rule('c 1:3 rwm'), rule('c 1:9 rw')]);
  t.same(
    from.transitionTo(to).map((r) => `${r.allow ? 'allow' : 'deny'} ${ruleText(r)}`),
    ['deny c 1:5 rwm', 'allow c 1:9 rw'],
  );
  const fromAll = DeviceEmulator.fromList('a *:* rwm\n');
  t.same(
    fromAll.transitionTo(to).map((r) => `${r.allow ? 'allow' : 'deny'} ${ruleText(r)}`),
    ['deny a *:* rwm', 'allow c 1:3 rwm', 'allow c 1:9 rw'],
  );
});

t.test('eBPF program: structure', async (t) => {
  const insns = deviceFilterInsns(
    normalizeRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    ]),
  );
  // 6 loads, one block (type, major, minor, mov, exit), default (mov, exit).
  t.equal(insns.length, 6 + 5 + 2);
  t.same(insns.at(-1), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
  t.same(insns.at(-2), { code: 0xb4, dst: 0, src: 0, off: 0, imm: 0 }, 'default deny');
  const buf = encodeInsns(insns);
  t.equal(buf.length, insns.length * 8);
  t.equal(buf[0], 0x61);
  t.equal(buf[1], 0x12, 'src R1 in the high nibble, dst R2 in the low');
});

t.test('eBPF program agrees with the emulator on every request', async (t) => {
  const lists: DeviceRule[][] = [
    normalizeRules([{ allow: false, access: 'rwm' }, ...runcDefaultDeviceRules()]),
    [rule('a *:* rwm', false), rule('c 10:229 rwm'), rule('b 8:20 rw'), rule('b 10:200 r')],
    [rule('a *:* rwm'), rule('b 8:* w', false), rule('c 1:3 m', false)],
    [rule('a *:* rwm', false), rule('c *:5 r'), rule('c 4:* w'), rule('c 4:5 m')],
    [],
    [rule('a *:* rwm')],
  ];
  const accesses = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];
  for (const [n, rules] of lists.entries()) {
    const e = DeviceEmulator.from(rules);
    const insns = deviceFilterInsns(rules);
    let checked = 0;
    let wrong = 0;
    for (const type of ['b', 'c'] as const) {
      for (const major of [0, 1, 4, 5, 8, 10, 136]) {
        for (const minor of [0, 3, 5, 7, 20, 200, 229]) {
          for (const a of accesses) {
            checked++;
            const want = emulatorAllows(e, type, major, minor, a) ? 1 : 0;
            if (run(insns, type, major, minor, a) !== want) wrong++;
          }
        }
      }
    }
    t.equal(wrong, 0, `rule list ${n}: ${checked} requests agree`);
  }
});
