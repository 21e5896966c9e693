#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS node
// The least a Node program must do for each of tsrun's short commands, and
// nothing else: no argument parser, no Runtime class, no error model, no
// hooks, no checks a real runtime needs. `make bench` runs it beside tsrun,
// behind the same launcher, on containers tsrun created, so that each target
// of issue #14 ("state ≤ 1.1× `node -e 0`", ...) can be read against what
// Node itself allows: a target this program misses cannot be met by any
// Node runtime on this host, and what tsrun costs over this program is
// tsrun's own (docs/bench.md, "Targets").
//
//   least.cjs --root ROOT state ID | kill ID SIGNAL | start ID | delete ID
//   least.cjs --root ROOT create --bundle DIR --pid-file FILE ID
//   least.cjs --root ROOT library-state ID | library-kill ID SIGNAL
//
// library-state and library-kill are the thinnest CLI over tsrun's library
// (LEAST_LIBRARY, dist/index.cjs): one Runtime call, no argument parser.
// The guide has the CLI be a thin user of the library, so no tsrun CLI can
// be faster than these.
//
// create does what tsrun must do in Node (read and validate config.json with
// the schema's ajv validator, load koffi's addon) and hands the kernel's work
// to crun, a C runtime, under ROOT: tsrun hands it to its C executor.
// LEAST_VALIDATOR is the validator as CommonJS, LEAST_KOFFI koffi's addon.
'use strict';
const fs = require('node:fs');

const [flag, root, cmd, ...rest] = process.argv.slice(2);
if (flag !== '--root') fail('usage: least.cjs --root ROOT COMMAND ...');
const id = cmd === 'create' ? rest[rest.length - 1] : rest[0];

function fail(message) {
  fs.writeSync(2, `least: ${message}\n`);
  process.exit(1);
}

function record(dir) {
  return JSON.parse(fs.readFileSync(`${dir}/state.json`, 'utf8'));
}

// As tsrun's status: alive is the same pid and start time, not a zombie.
function status(rec, dir) {
  let stat;
  try {
    stat = fs.readFileSync(`/proc/${rec.pid}/stat`, 'latin1');
  } catch {
    return 'stopped';
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[19] !== rec.startTime) return 'stopped';
  const freezer = rec.cgroup?.dirs?.freezer;
  if (freezer && fs.readFileSync(`${freezer}/freezer.state`, 'utf8').trim() === 'FROZEN') return 'paused';
  return fs.existsSync(`${dir}/exec.fifo`) ? 'created' : 'running';
}

// flock(2) through koffi's addon, as tsrun takes a container's lock.
function lock(dir) {
  const koffi = require(process.env.LEAST_KOFFI);
  const flock = koffi.load('libc.so.6').func('int flock(int fd, int operation)');
  const fd = fs.openSync(`${dir}/lock`, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_CLOEXEC, 0o600);
  if (flock(fd, 2 /* LOCK_EX */) !== 0) fail('flock failed');
  return fd;
}

const dir = `${root}/${id}`;
switch (cmd) {
  case 'state': {
    const rec = record(dir);
    const st = status(rec, dir);
    const out = { ociVersion: rec.ociVersion, id, pid: st === 'stopped' ? 0 : rec.pid, status: st, bundle: rec.bundle, rootfs: rec.rootfs, created: rec.created, owner: '' };
    fs.writeSync(1, JSON.stringify(out, null, '  ') + '\n');
    break;
  }
  case 'kill': {
    const rec = record(dir);
    if (status(rec, dir) === 'stopped') fail('container not running');
    const sig = rest[1] ?? 'TERM';
    process.kill(rec.pid, /^\d+$/.test(sig) ? Number(sig) : sig.startsWith('SIG') ? sig : `SIG${sig}`);
    break;
  }
  case 'start': {
    const rec = record(dir);
    const fd = lock(dir);
    if (status(rec, dir) !== 'created') fail('container not created');
    const fifo = fs.openSync(`${dir}/exec.fifo`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(fifo, '0');
    fs.closeSync(fifo);
    fs.unlinkSync(`${dir}/exec.fifo`);
    fs.closeSync(fd);
    break;
  }
  case 'delete': {
    const rec = record(dir);
    lock(dir);
    if (status(rec, dir) !== 'stopped') fail('container not stopped');
    // The cgroups at once, on libuv's threads (as tsrun does): each rmdir waits for the kernel.
    let left = rec.cgroup?.created?.length ?? 0;
    const done = (e) => {
      if (e) fail(`rmdir: ${e.code}`);
      if (--left > 0) return;
      for (const f of fs.readdirSync(dir)) fs.unlinkSync(`${dir}/${f}`);
      fs.rmdirSync(dir);
      process.exit(0);
    };
    if (left === 0) (left = 1), done();
    for (const cg of rec.cgroup?.created ?? []) fs.rmdir(cg, done);
    return;
  }
  case 'create': {
    const bundle = rest[rest.indexOf('--bundle') + 1];
    const spec = JSON.parse(fs.readFileSync(`${bundle}/config.json`, 'utf8'));
    const { validateConfig } = require(process.env.LEAST_VALIDATOR);
    if (!validateConfig(spec)) fail(`config.json: ${JSON.stringify(validateConfig.errors[0])}`);
    require(process.env.LEAST_KOFFI).load('libc.so.6');
    const crun = require('node:child_process').spawnSync('crun', ['--root', root, 'create', ...rest], { stdio: 'inherit' });
    process.exit(crun.status ?? 1);
  }
  case 'library-state':
  case 'library-kill': {
    const { Runtime } = require(process.env.LEAST_LIBRARY);
    const rt = new Runtime({ root });
    const done = cmd === 'library-state' ? rt.state(id).then((st) => fs.writeSync(1, JSON.stringify(st, null, '  ') + '\n')) : rt.kill(id, rest[1]);
    done.then(
      () => process.exit(0),
      (e) => fail(e.message),
    );
    return;
  }
  default:
    fail(`unknown command ${cmd}`);
}
process.exit(0);
