// Compile-time benchmark of the default profile, for bench/ and by hand:
//   npx esbuild bench/seccomp-compile.ts --bundle --platform=node --format=esm \
//     --outfile=.scratch/bench-compile.mjs && node .scratch/bench-compile.mjs
// The first compile in a fresh process is what `tsrun create` pays (cold
// code, tables just loaded); the warm median is the steady-state cost.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { NativeArch } from '../src/seccomp/arch.js';

export interface CompileBench {
  /** Loading the compiler and its tables (dynamic import), ms. */
  importMs: number;
  /** The first compile in this process, ms. */
  firstMs: number;
  /** Median and 90th percentile of `iterations` warm compiles, ms. */
  medianMs: number;
  p90Ms: number;
  iterations: number;
  instructions: number;
}

export async function benchCompile(iterations = 2000, arch: NativeArch = 'x86_64'): Promise<CompileBench> {
  const t0 = performance.now();
  const { compileSeccomp } = await import('../src/seccomp/compile.js');
  const { defaultSeccompProfile } = await import('../src/seccomp/profiles/default.js');
  const importMs = performance.now() - t0;
  // As config.json delivers it: strings and numbers from JSON.parse.
  const profile = JSON.parse(JSON.stringify(defaultSeccompProfile(arch)));
  const t1 = performance.now();
  const first = compileSeccomp(profile, { nativeArch: arch });
  const firstMs = performance.now() - t1;
  for (let i = 0; i < 200; i++) compileSeccomp(profile, { nativeArch: arch });
  const times = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const s = performance.now();
    compileSeccomp(profile, { nativeArch: arch });
    times[i] = performance.now() - s;
  }
  times.sort();
  return {
    importMs,
    firstMs,
    medianMs: times[Math.floor(iterations / 2)],
    p90Ms: times[Math.floor(iterations * 0.9)],
    iterations,
    instructions: first.filter.length / 8,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchCompile(Number(process.env.ITERATIONS) || 2000);
  const f = (x: number) => x.toFixed(3);
  console.log(
    `seccomp compile (default profile, ${r.instructions} instructions): import ${f(r.importMs)} ms, ` +
      `first ${f(r.firstMs)} ms, warm median ${f(r.medianMs)} ms, p90 ${f(r.p90Ms)} ms over ${r.iterations}`,
  );
}
