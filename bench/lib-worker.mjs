// The library lifecycle for bench.mjs: one long-lived Node process that
// drives dist/index.cjs (no CLI start-up per command). bench.mjs sends
// {id, bundle, pidFile} over the IPC channel for each iteration; the reply
// holds the time of each step in ms. The first message reports what loading
// the library cost.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ms = (a, b) => Number(b - a) / 1e6;
const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = process.argv[2];
const dist = join(process.argv[3] || top, 'dist/index.cjs');

const t0 = process.hrtime.bigint();
const { Runtime } = await import(pathToFileURL(dist).href);
// Debug lines carry create's phase times (PhaseTimer): collected per create.
let debugLines = [];
const log = { debug: (m) => debugLines.push(m), info() {}, warn() {}, error() {} };
const rt = new Runtime({ root, log });
const t1 = process.hrtime.bigint();
process.send({ ready: true, importMs: ms(t0, t1) });

process.on('message', async (m) => {
  if (m.exit) {
    process.disconnect();
    return;
  }
  const r = { id: m.id };
  debugLines = [];
  try {
    const a = process.hrtime.bigint();
    const ct = await rt.create(m.id, { bundle: m.bundle, pidFile: m.pidFile, stdio: ['ignore', 'ignore', 'ignore'] });
    const b = process.hrtime.bigint();
    await ct.start();
    const c = process.hrtime.bigint();
    await ct.wait(); // the executor's monitor reports the exit: no polling
    const d = process.hrtime.bigint();
    await ct.delete();
    const e = process.hrtime.bigint();
    Object.assign(r, { create: ms(a, b), start: ms(b, c), wait: ms(c, d), delete: ms(d, e), lifecycle: ms(a, e) });
    r.phases = Object.fromEntries([...debugLines.join('\n').matchAll(/create: (.+?) ([\d.]+) ms/g)].map((x) => [x[1], Number(x[2])]));
  } catch (e) {
    r.error = String(e?.message ?? e);
    try {
      await rt.delete(m.id, { force: true });
    } catch {
      /* nothing to delete */
    }
  }
  process.send(r);
});
