// Rootless: an unprivileged user of the test's own runs containers with
// bin/tsrun on this host (cgroup v1: nothing is delegated, so a container has
// no cgroup of its own), and runc 1.1 runs the same configs side by side when
// it is installed, so that what the host allows is told apart from our bugs.
import t from 'tap';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { logMessages, uniqueId, waitFor, type Result } from '../helpers.js';
import { makeTestUser, SUB_COUNT, type TestUser } from './user.js';
import { defaultRoot } from '../../src/state/default-root.js';
import type { Spec } from '../../src/spec/types.js';

const RUNC = spawnSync('which', ['runc'], { encoding: 'utf8' }).stdout.trim();
if (!RUNC) t.comment('runc is not installed: the side-by-side runs with runc are left out');

t.test("the default --root: $XDG_RUNTIME_DIR/tsrun for a non-root caller (runc's rule)", async (t) => {
  t.equal(defaultRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/tsrun');
  t.equal(defaultRoot({}, 1000), '/run/tsrun', 'no XDG_RUNTIME_DIR: /run/tsrun');
  t.equal(defaultRoot({ XDG_RUNTIME_DIR: '/run/user/0', USER: 'root' }, 0), '/run/tsrun', 'real root keeps /run/tsrun');
});

const user = makeTestUser(t);
if (typeof user === 'string') {
  t.test('rootless', { skip: `cannot make a test user: ${user}` }, async () => {});
} else {
  tests(user);
}

function tests(u: TestUser): void {
  /** A private state root the user owns. */
  const stateDir = (): string => {
    const d = mkdtempSync(join(u.home, 'state-'));
    chownSync(d, u.uid, u.gid);
    return d;
  };
  // bin/tsrun itself: its #! line drops the NODE_OPTIONS tap sets for node children.
  const tsrun = (args: string[], env?: NodeJS.ProcessEnv) => u.run(u.tsrun, args, { env });
  const runc = (args: string[], env?: NodeJS.ProcessEnv) => u.run(RUNC, args, { env });

  let specText = '';
  /** `tsrun spec --rootless` (made once, as the user), changed by edit, in a bundle of its own. */
  const bundle = (edit: (s: Spec) => void): string => {
    const spec = JSON.parse(specText) as Spec;
    spec.root = { path: u.rootfs, readonly: true };
    spec.process!.terminal = false;
    edit(spec);
    const dir = mkdtempSync(join(u.home, 'bundle-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
    return dir;
  };
  const script = (s: string) => (spec: Spec) => {
    spec.process!.args = ['sh', '-c', s];
  };
  /** Runs a bundle with tsrun and with runc, each with its own state root; the roots are returned for checks. */
  const both = async (dir: string): Promise<{ ts: Result; rc: Result | null; tsRoot: string }> => {
    const tsRoot = stateDir();
    const ts = await tsrun(['--root', tsRoot, 'run', '--bundle', dir, uniqueId('rl')]);
    const rc = RUNC ? await runc(['--root', stateDir(), 'run', '--bundle', dir, uniqueId('rl')]) : null;
    return { ts, rc, tsRoot };
  };

  t.test('spec --rootless, then run: the output and exit code runc gives for the same config', async (t) => {
    const dir = mkdtempSync(join(u.home, 'spec-'));
    chownSync(dir, u.uid, u.gid);
    const r = await u.run(u.tsrun, ['spec', '--rootless'], { cwd: dir });
    t.equal(r.code, 0, r.stderr);
    specText = readFileSync(join(dir, 'config.json'), 'utf8');
    const spec = JSON.parse(specText) as Spec;
    t.same(spec.linux!.uidMappings, [{ containerID: 0, hostID: u.uid, size: 1 }], "maps the caller's uid");
    t.same(spec.linux!.gidMappings, [{ containerID: 0, hostID: u.gid, size: 1 }], 'and gid');

    const b = bundle(
      script(
        'id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; ls /dev; grep -c . /proc/self/mountinfo; grep " /sys " /proc/self/mountinfo | cut -d" " -f5,6; touch /x 2>/dev/null || echo read-only root; exit 3',
      ),
    );
    const { ts, rc, tsRoot } = await both(b);
    t.equal(ts.code, 3, `tsrun's exit code is the container's: ${ts.stderr}`);
    t.match(ts.stdout, /^uid=0\(root\) gid=0\(root\)/, 'root in the container');
    t.match(ts.stdout, new RegExp(`^\\s+0\\s+${u.uid}\\s+1\\n\\s+0\\s+${u.gid}\\s+1\\ndeny\\n`, 'm'), 'one mapping each, setgroups denied');
    t.match(ts.stdout, /\nnull\n/, '/dev/null is there (bound from the host)');
    t.match(ts.stdout, /\/sys ro,/, '/sys bound read-only');
    t.match(ts.stdout, /read-only root/);
    t.same(readdirSync(tsRoot), [], 'run leaves no state behind');
    if (rc) {
      t.equal(rc.code, 3, `runc: ${rc.stderr}`);
      t.equal(ts.stdout, rc.stdout, 'the same output as runc');
    }
    const f = await tsrun(['features']);
    t.equal((JSON.parse(f.stdout) as { annotations: Record<string, string> }).annotations['org.tsrun.rootless.enabled'], 'true', 'features says rootless works');
  });

  t.test("create, state, start, exec, ps, pause, kill, delete under $XDG_RUNTIME_DIR/tsrun, with runc's exit codes", async (t) => {
    const b = bundle((s) => {
      s.process!.args = ['sleep', '1000'];
    });
    const xdg = join(u.home, `xdg-${process.pid}`);
    mkdirSync(xdg, { mode: 0o700 });
    chownSync(xdg, u.uid, u.gid);
    const env = { XDG_RUNTIME_DIR: xdg };
    const steps = (id: string): string[][] => [
      ['create', '--bundle', b, id],
      ['start', id],
      ['exec', id, 'sh', '-c', 'cat /proc/self/uid_map; id -u'],
      ['ps', id],
      ['pause', id],
      ['kill', id, 'KILL'],
    ];
    const id = uniqueId('rl-life');
    const codes: number[] = [];
    for (const args of steps(id)) {
      const r = await tsrun(args, env);
      codes.push(r.code);
      if (args[0] === 'create') {
        t.ok(existsSync(join(xdg, 'tsrun', id)), 'state in $XDG_RUNTIME_DIR/tsrun (no --root given)');
        t.equal(statSync(join(xdg, 'tsrun')).mode & 0o7777, 0o1700, 'made 0700 and sticky, as runc (kept by XDG clean-ups)');
      }
      if (args[0] === 'start') t.match((await tsrun(['state', id], env)).stdout, /"status": "running"/);
      if (args[0] === 'exec') t.match(r.stdout, new RegExp(`^\\s+0\\s+${u.uid}\\s+1\\n0\\n$`), 'exec joins the user namespace');
      if (args[0] === 'ps' || args[0] === 'pause') t.match(logMessages(r.stderr), /no cgroup of its own/, `${args[0]}: says why it cannot`);
    }
    t.ok(await waitFor(async () => /"status": "stopped"/.test((await tsrun(['state', id], env)).stdout)), 'stopped after kill');
    const del = await tsrun(['delete', id], env);
    t.equal(del.code, 0, del.stderr);
    t.notOk(existsSync(join(xdg, 'tsrun', id)), 'delete removes the state');
    t.same(codes, [0, 0, 0, 1, 1, 0], 'exit codes of create, start, exec, ps, pause, kill');
    if (RUNC) {
      const rid = uniqueId('rl-life-runc');
      const rcodes: number[] = [];
      for (const args of steps(rid)) rcodes.push((await runc(args, env)).code);
      await waitFor(async () => /"status": "stopped"/.test((await runc(['state', rid], env)).stdout));
      t.equal((await runc(['delete', rid], env)).code, 0);
      t.same(codes, rcodes, 'runc gives the same exit codes');
    }
  });

  const ranges = (s: Spec, start = u.subStart) => {
    s.linux!.uidMappings = [
      { containerID: 0, hostID: u.uid, size: 1 },
      { containerID: 1, hostID: start, size: SUB_COUNT },
    ];
    s.linux!.gidMappings = [
      { containerID: 0, hostID: u.gid, size: 1 },
      { containerID: 1, hostID: start, size: SUB_COUNT },
    ];
  };

  t.test('several id ranges through newuidmap and newgidmap, from /etc/subuid and /etc/subgid', async (t) => {
    const b = bundle((s) => {
      ranges(s);
      s.process!.user = { uid: 1000, gid: 1000 };
      script('cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; id -g')(s);
    });
    const { ts, rc } = await both(b);
    t.equal(ts.code, 0, ts.stderr);
    const map = (own: number) => `\\s+0\\s+${own}\\s+1\\n\\s+1\\s+${u.subStart}\\s+${SUB_COUNT}\\n`;
    t.match(ts.stdout, new RegExp(`^${map(u.uid)}${map(u.gid)}allow\\n1000\\n1000\\n$`), 'both ranges mapped, setgroups allowed, user 1000 is mapped');
    if (rc) t.equal(ts.stdout, rc.stdout, 'the same as runc');

    // With setgroups allowed, additional gids can be set (runc 1.1 refuses any in rootless mode).
    const g = bundle((s) => {
      ranges(s);
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [5, 7] };
      script('grep Groups /proc/self/status')(s);
    });
    const r = await tsrun(['--root', stateDir(), 'run', '--bundle', g, uniqueId('rl-groups')]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^Groups:\s+5 7\s*$/m);

    // With only the own gid (setgroups denied), asking for them is an error naming the field.
    const d = bundle((s) => {
      s.process!.user = { uid: 0, gid: 0, additionalGids: [5] };
    });
    const root = stateDir();
    const e = await tsrun(['--root', root, 'run', '--bundle', d, uniqueId('rl-groups')]);
    t.equal(e.code, 1);
    t.match(logMessages(e.stderr), /\/process\/user\/additionalGids: cannot be set: the user namespace denies setgroups/);
    t.same(readdirSync(root), [], 'nothing left behind');
  });

  t.test('a range not delegated, a missing subgid entry, no newuidmap: clear errors, nothing left behind', async (t) => {
    const beyond = u.subStart + SUB_COUNT;
    const bad = bundle((s) => ranges(s, beyond));
    const tsRoot = stateDir();
    const ts = await tsrun(['--root', tsRoot, 'run', '--bundle', bad, uniqueId('rl-range')]);
    t.equal(ts.code, 1);
    t.match(
      logMessages(ts.stderr),
      `/linux/uidMappings/1: host uids ${beyond}-${beyond + SUB_COUNT - 1} are not delegated to ${u.name} (uid ${u.uid}): /etc/subuid gives ${u.name} (uid ${u.uid}) only ${u.subStart}-${beyond - 1}`,
    );
    t.same(readdirSync(tsRoot), [], 'no state left');
    t.same(
      // Zombies are left out: an init killed by an earlier test is reparented to this
      // machine's PID 1, which reaps when it gets round to it, not to tsrun.
      spawnSync('ps', ['-o', 'pid=,stat=', '-u', String(u.uid)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.trim() && !/\sZ/.test(l))
        .join('\n'),
      '',
      'no process of the user left',
    );
    if (RUNC) t.equal((await runc(['--root', stateDir(), 'run', '--bundle', bad, uniqueId('rl-range')])).code, 1, 'runc fails too (newuidmap refuses the range)');

    const ok = bundle((s) => ranges(s));
    await t.test('no entry in /etc/subgid', async (t) => {
      u.dropSubIds(t, '/etc/subgid');
      const root = stateDir();
      const r = await tsrun(['--root', root, 'run', '--bundle', ok, uniqueId('rl-nogid')]);
      t.equal(r.code, 1);
      t.match(logMessages(r.stderr), `/linux/gidMappings/1: host gids ${u.subStart}-${beyond - 1} are not delegated to ${u.name} (uid ${u.uid}): /etc/subgid has no range for ${u.name}`);
      t.same(readdirSync(root), []);
    });
    const root = stateDir();
    // node by its path, as the #! line would find it, with no newuidmap on PATH.
    const r = await u.run('/usr/bin/env', ['-u', 'NODE_OPTIONS', 'PATH=/nonexistent', process.execPath, u.tsrun, '--root', root, 'run', '--bundle', ok, uniqueId('rl-notool')]);
    t.equal(r.code, 1);
    t.match(logMessages(r.stderr), /^newuidmap not found in PATH: .*\(Debian package uidmap\)$/m);
    t.same(readdirSync(root), []);
  });

  t.test('limits and cgroupsPath without a cgroup of its own: errors naming the field; device rules a warning', async (t) => {
    const mem = bundle((s) => {
      s.linux!.resources = { memory: { limit: 64 << 20 } };
    });
    const { ts, rc, tsRoot } = await both(mem);
    t.equal(ts.code, 1);
    t.match(logMessages(ts.stderr), /^linux\.resources\.memory\.limit: cannot be applied: this rootless container has no cgroup of its own \(cgroup v1 is never delegated/m);
    t.same(readdirSync(tsRoot), []);
    if (rc) t.match(logMessages(rc.stderr), /cannot set memory limit: container could not join or create cgroup/, 'runc refuses it too');

    const path = bundle((s) => {
      s.linux!.cgroupsPath = `/tsrun-rootless-${process.pid}`;
    });
    const p = await both(path);
    t.equal(p.ts.code, 1);
    t.match(logMessages(p.ts.stderr), /rootless container: cannot create or join its cgroup .*leave \/linux\/cgroupsPath empty/);
    t.same(readdirSync(p.tsRoot), []);
    if (p.rc) t.equal(p.rc.code, 1, 'runc: mkdir EACCES');

    const dev = bundle((s) => {
      s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] };
      s.process!.args = ['true'];
    });
    const d = await both(dev);
    t.equal(d.ts.code, 0, d.ts.stderr);
    t.match(logMessages(d.ts.stderr), /linux\.resources\.devices: not applied/);
    if (d.rc) t.equal(d.rc.code, 0, 'runc skips device rules silently');
  });

  t.test('--rootless false asks for a cgroup of its own (EACCES here, as runc); a bad value is refused', async (t) => {
    const b = bundle((s) => {
      s.process!.args = ['true'];
    });
    const root = stateDir();
    const r = await tsrun(['--rootless', 'false', '--root', root, 'run', '--bundle', b, uniqueId('rl-false')]);
    t.equal(r.code, 1);
    t.match(logMessages(r.stderr), /mkdir \/sys\/fs\/cgroup\/\S+: EACCES/);
    t.same(readdirSync(root), []);
    if (RUNC) t.equal((await runc(['--rootless', 'false', '--root', stateDir(), 'run', '--bundle', b, uniqueId('rl-false')])).code, 1);
    const bad = await tsrun(['--rootless', 'maybe', 'list']);
    t.equal(bad.code, 1);
    t.match(logMessages(bad.stderr), /invalid --rootless value "maybe"/);
  });

  t.test('sysfs in a user namespace without a network namespace: /sys bound read-only (runc 1.1 fails with EPERM)', async (t) => {
    const b = bundle((s) => {
      s.mounts = s.mounts!.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } : m));
      script('grep " /sys " /proc/self/mountinfo | cut -d" " -f5,6; ls /sys/kernel >/dev/null && echo readable')(s);
    });
    const { ts, rc } = await both(b);
    t.equal(ts.code, 0, ts.stderr);
    t.match(ts.stdout, /^\/sys ro,nosuid,nodev,noexec/m);
    t.match(ts.stdout, /readable/);
    t.match(logMessages(ts.stderr), /sysfs cannot be mounted in a new user namespace without its own network namespace/);
    if (rc) t.equal(rc.code, 1, `runc 1.1: ${logMessages(rc.stderr).trim()}`);
  });

  t.test("a cgroup mount in a user namespace: the caller's cgroup bound read-only, with or without a cgroup namespace", async (t) => {
    const own = readFileSync('/proc/self/cgroup', 'utf8');
    for (const cgroupNs of [false, true]) {
      const b = bundle((s) => {
        s.mounts!.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
        if (cgroupNs) s.linux!.namespaces!.push({ type: 'cgroup' });
        script('ls /sys/fs/cgroup | tr "\\n" " "; echo; grep " /sys/fs/cgroup/" /proc/self/mountinfo | cut -d" " -f6 | sort -u; touch /sys/fs/cgroup/memory/x 2>/dev/null || echo not writable')(s);
      });
      const { ts, rc } = await both(b);
      t.equal(ts.code, 0, `cgroup namespace ${cgroupNs}: ${ts.stderr}`);
      if (/^\d+:memory:/m.test(own)) t.match(ts.stdout, /\bmemory\b/, 'the hierarchies are there');
      t.match(ts.stdout, /^ro,/m, 'read-only');
      t.match(ts.stdout, /not writable/);
      if (rc) t.comment(`runc 1.1, cgroup namespace ${cgroupNs}: exit ${rc.code}${rc.code ? ': ' + logMessages(rc.stderr).trim() : ''}`);
      if (rc && !cgroupNs) t.equal(ts.stdout, rc.stdout, 'the same as runc');
    }
  });

  t.test('rootless podman with --runtime tsrun and --cgroup-manager cgroupfs', async (t) => {
    if (spawnSync('which', ['podman']).status !== 0) {
      return void t.skip('podman is not installed (make setup installs it)', () => {});
    }
    const dir = join(u.home, 'podman');
    mkdirSync(join(dir, 'xdg'), { recursive: true, mode: 0o700 });
    spawnSync('chown', ['-R', `${u.uid}:${u.gid}`, dir]);
    writeFileSync(join(dir, 'containers.conf'), '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
    const env = { XDG_RUNTIME_DIR: join(dir, 'xdg'), CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_REGISTRIES_CONF: '/dev/null' };
    const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
    const podman = (args: string[]) => u.run('podman', [...base, ...args], { env, timeoutMs: 120_000 });
    const tar = join(dir, 'rootfs.tar');
    spawnSync('tar', ['-C', u.rootfs, '-cf', tar, '.']);
    chownSync(tar, u.uid, u.gid);
    const image = `localhost/tsrun-rootless-${process.pid}`;
    const imp = await podman(['import', tar, image]);
    if (imp.code !== 0) {
      return void t.skip(`podman import fails as this user, before any runtime runs: ${imp.stderr.trim()}`, () => {});
    }
    const cmd = ['run', '--rm', '--network', 'none', image, 'sh', '-c', 'echo hello from podman; cat /proc/self/uid_map; exit 5'];
    const ref = RUNC ? await podman(['--runtime', RUNC, ...cmd]) : null;
    if (ref && ref.code !== 5) {
      return void t.skip(`rootless podman fails with runc too on this host (exit ${ref.code}): ${ref.stderr.trim()}`, () => {});
    }
    const r = await podman(['--runtime', u.tsrun, ...cmd]);
    t.equal(r.code, 5, r.stderr);
    const map = `\\s+0\\s+${u.uid}\\s+1\\n\\s+1\\s+${u.subStart}\\s+${SUB_COUNT}\\n`;
    t.match(r.stdout, new RegExp(`^hello from podman\\n${map}$`), "podman's user namespace, with the subuid range");
    if (ref) t.equal(r.stdout, ref.stdout, 'the same as with runc');
    t.same(readdirSync(join(dir, 'xdg', 'tsrun')), [], 'conmon passes no --root: state went to $XDG_RUNTIME_DIR/tsrun, and --rm removed it');
  });
}
