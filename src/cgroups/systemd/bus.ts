// A minimal D-Bus client on libsystemd's sd-bus, through koffi (our FFI),
// as crun talks to systemd: libsystemd0 is on every host where systemd runs,
// so this adds no dependency there and no D-Bus code of our own to get wrong
// (auth, marshalling, the wire format are sd-bus's). Calls are synchronous:
// a CLI command waits for each reply anyway. koffi and the library are
// loaded on first use, so only commands that talk to systemd pay for them.
import { TsrunError, errnoName } from '../../errors.js';
import { loadKoffi } from '../../linux/koffi.js';

type Fn = (...args: unknown[]) => number;
interface SdBus {
  koffi: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  errType: unknown;
  openSystem: Fn;
  openUser: Fn;
  unref: Fn;
  newCall: Fn;
  appendBasic: Fn;
  appendArray: Fn;
  open: Fn;
  close: Fn;
  call: Fn;
  readBasic: Fn;
  enter: Fn;
  exit: Fn;
  msgUnref: Fn;
  errorFree: Fn;
}
// One binding per process, shared through globalThis: `run` loads create's
// and delete's bundles, each with its own copy of this module, and koffi's
// type names ("sd_bus") are global, so a second definition would throw.
const SHARED = Symbol.for('tsrun.sd-bus');
const shared = globalThis as unknown as Record<symbol, SdBus | undefined>;

function load(): SdBus {
  return (shared[SHARED] ??= bind());
}

function bind(): SdBus {
  const koffi = loadKoffi();
  let lib;
  try {
    lib = koffi.load('libsystemd.so.0');
  } catch (e) {
    throw new TsrunError(`the systemd cgroup driver needs libsystemd.so.0 (Debian: libsystemd0): ${(e as Error).message}`, { code: 'ERR_UNSUPPORTED', cause: e });
  }
  koffi.opaque('sd_bus');
  koffi.opaque('sd_bus_message');
  const errType = koffi.struct('sd_bus_error', { name: 'const char *', message: 'const char *', _need_free: 'int' });
  return {
    koffi,
    errType,
    openSystem: lib.func('int sd_bus_open_system(_Out_ sd_bus **ret)'),
    openUser: lib.func('int sd_bus_open_user(_Out_ sd_bus **ret)'),
    unref: lib.func('void *sd_bus_flush_close_unref(sd_bus *bus)'),
    newCall: lib.func('int sd_bus_message_new_method_call(sd_bus *bus, _Out_ sd_bus_message **m, const char *dest, const char *path, const char *iface, const char *member)'),
    appendBasic: lib.func('int sd_bus_message_append_basic(sd_bus_message *m, char type, const void *p)'),
    appendArray: lib.func('int sd_bus_message_append_array(sd_bus_message *m, char type, const void *p, size_t size)'),
    open: lib.func('int sd_bus_message_open_container(sd_bus_message *m, char type, const char *contents)'),
    close: lib.func('int sd_bus_message_close_container(sd_bus_message *m)'),
    call: lib.func('int sd_bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, void *err, _Out_ sd_bus_message **reply)'),
    readBasic: lib.func('int sd_bus_message_read_basic(sd_bus_message *m, char type, void *p)'),
    enter: lib.func('int sd_bus_message_enter_container(sd_bus_message *m, char type, const char *contents)'),
    exit: lib.func('int sd_bus_message_exit_container(sd_bus_message *m)'),
    msgUnref: lib.func('void *sd_bus_message_unref(sd_bus_message *m)'),
    errorFree: lib.func('void sd_bus_error_free(void *err)'),
  };
}

/** A D-Bus value with its signature: { sig: 's', value: 'x' }, { sig: 'a(sv)', value: [...] }. */
export interface Typed {
  sig: string;
  value: unknown;
}

/** An error reply: its D-Bus error name ("org.freedesktop.systemd1.NoSuchUnit") and message. */
export class BusError extends TsrunError {
  constructor(
    readonly method: string,
    readonly busName: string,
    message: string,
  ) {
    super(`systemd ${method}: ${message} (${busName})`, { code: 'ERR_SYSCALL' });
  }
}

const code = (c: string) => c.charCodeAt(0);

/** The complete types of a signature, in order: "sa(sv)" -> ["s", "a(sv)"]. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  let i = 0;
  const one = (): void => {
    const c = sig[i++];
    if (c === 'a') return one();
    if (c === '(' || c === '{') {
      const end = c === '(' ? ')' : '}';
      while (sig[i] !== end) {
        if (i >= sig.length) throw new Error(`bad D-Bus signature ${sig}`);
        one();
      }
      i++;
    }
  };
  while (i < sig.length) {
    const start = i;
    one();
    out.push(sig.slice(start, i));
  }
  return out;
}

export class Bus {
  private constructor(private ptr: unknown) {}

  /** The system bus (root's systemd) or the caller's user bus (its systemd --user). */
  static connect(user: boolean): Bus {
    const s = load();
    const out: unknown[] = [null];
    const r = (user ? s.openUser : s.openSystem)(out);
    if (r < 0) {
      const which = user ? 'the user bus ($DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus)' : 'the system bus';
      throw new TsrunError(`systemd cgroup driver: cannot connect to ${which}: ${errnoName(-r)}`, { code: 'ERR_UNSUPPORTED', errno: errnoName(-r) });
    }
    return new Bus(out[0]);
  }

  close(): void {
    if (this.ptr) load().unref(this.ptr);
    this.ptr = null;
  }

  /**
   * Calls a method; args are appended by their signatures. The reply's
   * first value is read with `reply` ("o", "s", or "v" holding a basic type
   * or "ay"); undefined without one.
   */
  call(dest: string, path: string, iface: string, member: string, args: Typed[], reply?: string): unknown {
    const s = load();
    const m: unknown[] = [null];
    check(s.newCall(this.ptr, m, dest, path, iface, member), `${member}: new message`);
    const err = s.koffi.alloc(s.errType, 1);
    const rep: unknown[] = [null];
    try {
      for (const a of args) append(s, m[0], a.sig, a.value);
      const r = s.call(this.ptr, m[0], 0n, err, rep);
      if (r < 0) {
        const e = s.koffi.decode(err, s.errType) as { name: string | null; message: string | null };
        throw new BusError(member, e.name ?? errnoName(-r), e.message ?? errnoName(-r));
      }
      return reply ? read(s, rep[0], reply) : undefined;
    } finally {
      s.errorFree(err);
      s.koffi.free(err);
      s.msgUnref(m[0]);
      if (rep[0]) s.msgUnref(rep[0]);
    }
  }
}

function append(s: SdBus, m: unknown, sig: string, value: unknown): void {
  const c = sig[0];
  if (sig === 'ay') {
    const buf = Buffer.from(value as Uint8Array);
    check(s.appendArray(m, code('y'), buf, buf.length), 'append ay');
  } else if (c === 'a') {
    const elem = sig.slice(1);
    check(s.open(m, code('a'), elem), `open ${sig}`);
    for (const v of value as unknown[]) append(s, m, elem, v);
    check(s.close(m), `close ${sig}`);
  } else if (c === '(') {
    const inner = sig.slice(1, -1);
    check(s.open(m, code('r'), inner), `open ${sig}`);
    const types = splitSignature(inner);
    types.forEach((t, i) => append(s, m, t, (value as unknown[])[i]));
    check(s.close(m), `close ${sig}`);
  } else if (c === 'v') {
    const v = value as Typed;
    check(s.open(m, code('v'), v.sig), `open v(${v.sig})`);
    append(s, m, v.sig, v.value);
    check(s.close(m), `close v(${v.sig})`);
  } else {
    check(s.appendBasic(m, code(c), basicBuffer(c, value)), `append ${c}`);
  }
}

/** The bytes sd_bus_message_append_basic reads for one basic value. */
function basicBuffer(c: string, value: unknown): Buffer {
  switch (c) {
    case 's':
    case 'o':
    case 'g':
      return Buffer.from(String(value) + '\0');
    case 'b':
    case 'i':
    case 'u': {
      const b = Buffer.alloc(4);
      if (c === 'i') b.writeInt32LE(Number(value));
      else b.writeUInt32LE(c === 'b' ? (value ? 1 : 0) : Number(value));
      return b;
    }
    case 't':
    case 'x': {
      const b = Buffer.alloc(8);
      if (c === 't') b.writeBigUInt64LE(BigInt(value as number | bigint));
      else b.writeBigInt64LE(BigInt(value as number | bigint));
      return b;
    }
    default:
      throw new Error(`D-Bus type ${c} is not supported here`);
  }
}

function read(s: SdBus, m: unknown, sig: string): unknown {
  if (sig.startsWith('v')) {
    const inner = sig.slice(1);
    check(s.enter(m, code('v'), inner), `enter v(${inner})`);
    const v = read(s, m, inner);
    check(s.exit(m), 'exit v');
    return v;
  }
  if (sig === 'ay') {
    check(s.enter(m, code('a'), 'y'), 'enter ay');
    const bytes: number[] = [];
    const b = Buffer.alloc(1);
    while (check(s.readBasic(m, code('y'), b), 'read y') > 0) bytes.push(b[0]!);
    check(s.exit(m), 'exit ay');
    return Uint8Array.from(bytes);
  }
  const b = Buffer.alloc(8);
  check(s.readBasic(m, code(sig), b), `read ${sig}`);
  switch (sig) {
    case 's':
    case 'o':
      return s.koffi.decode(b, 'const char *') as string;
    case 'b':
      return b.readUInt32LE() !== 0;
    case 'u':
      return b.readUInt32LE();
    case 'i':
      return b.readInt32LE();
    case 't':
      return b.readBigUInt64LE();
    case 'x':
      return b.readBigInt64LE();
    default:
      throw new Error(`D-Bus type ${sig} is not supported here`);
  }
}

function check(r: number, what: string): number {
  if (r < 0) throw new TsrunError(`sd-bus ${what}: ${errnoName(-r)}`, { code: 'ERR_SYSCALL', errno: errnoName(-r) });
  return r;
}
