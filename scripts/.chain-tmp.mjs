import { build } from 'esbuild';
const [entry, target] = process.argv.slice(2);
const r = await build({ absWorkingDir: '/work/main', bundle: true, format: 'cjs', platform: 'node', target: 'node20', external: ['koffi'], write: false, metafile: true, outfile: '/tmp/x.cjs',
  define: { TSRUN_COMMIT: '"x"', TSRUN_VERSION: '"x"', TSRUN_BUNDLED: 'true', 'import.meta.url': '__u' }, entryPoints: [entry] });
const ins = r.metafile.inputs; const parent = {}; const q = [entry]; parent[entry] = null;
while (q.length) { const f = q.shift(); for (const i of ins[f]?.imports ?? []) if (!(i.path in parent)) { parent[i.path] = f + (i.kind === 'dynamic-import' ? ' (dyn)' : ''); q.push(i.path); } }
for (const t of target.split(',')) { let c = t, chain = []; while (c) { chain.push(c); c = parent[c]?.replace(' (dyn)', ''); if (parent[chain.at(-1)]?.includes('(dyn)')) chain.push('<dyn>'); } console.log(chain.reverse().join(' -> ')); }
