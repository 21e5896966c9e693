// A damaged state.json (truncated, garbage, `[]`, `null`, missing, or with an
// edited pid) must neither break the commands for the other containers nor
// make `delete --force` report success while the container's processes and
// cgroup stay, nor make tsrun signal a process it cannot identify.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsNamed, logMessages, makeBundle, stateRoot, uniqueId, waitFor } from '../helpers.js';

type Root = ReturnType<typeof stateRoot>;

/** Field 22 of /proc/PID/stat, or undefined once the process is gone (or a zombie). */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' ? undefined : rest[19];
  } catch {
    return undefined;
  }
}

/**
 * A created container (init: sleep) whose init and cgroup directories are
 * removed on teardown even when tsrun cannot remove them (its state is damaged).
 */
async function created(t: Test, r: Root, edit: Parameters<typeof makeBundle>[1] = () => {}): Promise<{ id: string; pid: number; cgroups: string[] }> {
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    edit(s);
  });
  const id = uniqueId('integ3-dmg');
  const c = await r.run(['create', '--bundle', dir, id]);
  t.equal(c.code, 0, `create: ${c.stderr}`);
  const rec = JSON.parse(readFileSync(join(r.root, id, 'state.json'), 'utf8'));
  const pid = rec.pid as number;
  const start = startTimeOf(pid);
  const cgroups = [...new Set(Object.values((rec.cgroup?.dirs ?? {}) as Record<string, string>))];
  t.teardown(() => {
    if (start && startTimeOf(pid) === start) process.kill(pid, 'SIGKILL');
    for (const d of cgroups) {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(d);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    }
  });
  return { id, pid, cgroups };
}

const DAMAGE: [string, string | null][] = [
  ['truncated', '{"ociVersion":"1.3.0","id":"x","pi'],
  ['garbage', 'not json at all'],
  ['[]', '[]'],
  ['null', 'null'],
  ['a record without its fields', '{"id":"x"}'],
  ['missing', null],
];

function damage(root: string, id: string, text: string | null): void {
  const file = join(root, id, 'state.json');
  if (text === null) rmSync(file);
  else writeFileSync(file, text);
}

for (const [name, text] of DAMAGE) {
  if (text === null) continue; // a missing state.json is a create in progress: list skips it
  t.test(`list with a ${name} state.json lists the others and warns about the bad one`, async (t) => {
    const r = stateRoot(t);
    const good = await created(t, r);
    const bad = await created(t, r);
    damage(r.root, bad.id, text);
    for (const args of [['list'], ['list', '--format', 'json'], ['list', '-q']]) {
      const l = await r.run(args);
      t.equal(l.code, 0, `${args.join(' ')} exits 0: ${l.stderr}`);
      t.match(l.stdout, good.id, 'the good container is listed');
      t.notMatch(l.stdout, bad.id, 'the damaged one is not');
      t.match(logMessages(l.stderr), new RegExp(`${bad.id}.*state\\.json`), 'a warning names it and its state.json');
      t.notMatch(logMessages(l.stderr), /\n\s+at /, 'no stack trace');
    }
  });
}

for (const [name, text] of DAMAGE) {
  t.test(`delete --force of a container with a ${name} state.json kills its init and removes its cgroup`, async (t) => {
    const r = stateRoot(t);
    const c = await created(t, r);
    t.ok(c.cgroups.length > 0, 'the container has a cgroup');
    damage(r.root, c.id, text);
    const plain = await r.run(['delete', c.id]);
    t.not(plain.code, 0, 'delete without --force refuses');
    t.notMatch(logMessages(plain.stderr), /\n\s+at /, 'no stack trace');
    const d = await r.run(['delete', '--force', c.id]);
    t.notMatch(logMessages(d.stderr), /\n\s+at /, 'no stack trace');
    t.equal(d.code, 0, `delete --force: ${d.stderr}`);
    t.ok(await waitFor(() => startTimeOf(c.pid) === undefined), 'the init is gone');
    t.same(cgroupDirsNamed(c.id), [], 'no cgroup left');
    t.equal((await r.run(['state', c.id])).code, 1, 'the container is gone');
  });
}

t.test('delete --force with a damaged state and a cgroupsPath it cannot find says what it left', async (t) => {
  const r = stateRoot(t);
  const cgName = uniqueId('integ3-cgp');
  const c = await created(t, r, (s) => (s.linux!.cgroupsPath = `/${cgName}`));
  damage(r.root, c.id, 'garbage');
  const d = await r.run(['delete', '--force', c.id]);
  t.not(d.code, 0, 'delete --force fails: the init and the cgroup are still there');
  t.notMatch(logMessages(d.stderr), /\n\s+at /, 'no stack trace');
  t.match(logMessages(d.stderr), /state\.json/, `it says the state is damaged: ${logMessages(d.stderr)}`);
  t.match(logMessages(d.stderr), /could not/, 'and what it could not find');
});

t.test('a state.json with an edited pid and no start time never makes tsrun signal that pid', async (t) => {
  const r = stateRoot(t);
  const c = await created(t, r);
  const bystander = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.teardown(() => void bystander.kill('SIGKILL'));
  const pid = bystander.pid!;
  const start = startTimeOf(pid);
  const file = join(r.root, c.id, 'state.json');
  const rec = JSON.parse(readFileSync(file, 'utf8'));
  rec.pid = pid;
  delete rec.startTime;
  writeFileSync(file, JSON.stringify(rec));

  await r.run(['kill', c.id, 'KILL']);
  await new Promise((res) => setTimeout(res, 100));
  t.equal(startTimeOf(pid), start, 'kill left the unrelated process alone');

  const d = await r.run(['delete', '--force', c.id]);
  t.equal(d.code, 0, `delete --force: ${d.stderr}`);
  await new Promise((res) => setTimeout(res, 100));
  t.equal(startTimeOf(pid), start, 'delete --force left the unrelated process alone');
  t.ok(await waitFor(() => startTimeOf(c.pid) === undefined), "the container's init, found in its cgroup, is gone");
  t.same(cgroupDirsNamed(c.id), [], 'no cgroup left');
});
