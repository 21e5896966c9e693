// koffi, loaded the cheap way, for every module that calls C (libc.ts,
// unix-socket.ts, bpf.ts, cgroups/systemd/bus.ts).
//
// koffi's package entry finds its native addon by probing: it loads its own
// ELF reader and platform loader, reads headers to tell glibc from musl,
// and stats a list of candidate paths. That costs a command that locks a
// container (create, start, delete, ...) about 8-10 ms of a 70 ms Node
// start; requiring the addon itself costs 3-4 (docs/bench.md, "koffi").
// On glibc Linux the addon sits where npm installs koffi's platform
// package, beside koffi: require it from there. The entry exports that
// same addon (plus deprecation shims we do not use), so nothing else
// changes. Where the addon is not there or does not load (musl, another
// layout, another platform), koffi's own entry finds it, or says why not.
import { requireFrom } from '../builtins.js';

/** A C function koffi declared: its arguments in, its return value out. */
export type CFunction = (...args: unknown[]) => number;
/** A C function that can also run on libuv's thread pool: fn.async(...args, callback). */
export type AsyncCFunction = CFunction & { async: (...args: unknown[]) => void };

export interface KoffiLibrary {
  func(prototype: string): CFunction;
}

/** The part of koffi's API this project uses. */
export interface Koffi {
  load(name: string): KoffiLibrary;
  errno(): number;
  alloc(type: string, n: number): unknown;
  free(p: unknown): void;
  address(p: unknown): bigint;
  encode(p: unknown, type: string, value: unknown, n?: number): void;
  decode(p: unknown, type: string, n: number): number[];
  opaque(name: string): unknown;
  struct(name: string, fields: Record<string, string>): unknown;
}

let koffi: Koffi | undefined;

export function loadKoffi(): Koffi {
  if (koffi) return koffi;
  const require = requireFrom(() => import.meta.url);
  const { platform, arch } = process;
  if (platform === 'linux' && (arch === 'x64' || arch === 'arm64')) {
    try {
      koffi = require(`@koromix/koffi-linux-${arch}/linux_${arch}/koffi.node`) as Koffi;
    } catch {
      // Not there, or not loadable (a musl libc): the entry below probes properly.
    }
  }
  koffi ??= require('koffi') as Koffi;
  return koffi;
}

let libc: KoffiLibrary | undefined;

/** libc.so.6, opened once per process (module copy). */
export function loadLibc(): KoffiLibrary {
  libc ??= loadKoffi().load('libc.so.6');
  return libc;
}

/**
 * An object whose properties are the C functions of `prototypes`, each
 * declared on first use: a command needs few of a module's functions, and
 * koffi parses each prototype when it is declared.
 */
export function lazyFunctions<T extends Record<string, string>>(library: () => KoffiLibrary, prototypes: T): { readonly [K in keyof T]: AsyncCFunction } {
  const fns = {} as Record<string, AsyncCFunction>;
  for (const [name, prototype] of Object.entries(prototypes)) {
    Object.defineProperty(fns, name, {
      configurable: true,
      enumerable: true,
      get() {
        const fn = library().func(prototype) as AsyncCFunction;
        Object.defineProperty(fns, name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  return fns as { readonly [K in keyof T]: AsyncCFunction };
}
