/**
 * A client of CRIU's RPC service, as runc and crun use it: `criu swrk 3`
 * with fd 3 one end of a SOCK_SEQPACKET socketpair, one criu_req in, then
 * criu_resp messages out: notifications (answered with notify_success)
 * until the final answer. CRIU finds the image directory's fd in our fd
 * table through the socket's peer credentials, so only the socket and the
 * container's stdio are handed to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeSync } from 'node:fs';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { TsrunError } from '../errors.js';
import { receiveMessage, seqpacketPair } from '../linux/unix-socket.js';
import { closeFd } from '../linux/libc.js';
import { criu_featuresSchema, criu_reqSchema, criu_req_type, criu_respSchema, type criu_features, type criu_opts, type criu_resp } from './generated/rpc_pb.js';

/** The oldest CRIU we drive: 3.15 answers VERSION, handles external pid namespaces and cgroup v2 freezing. */
export const MIN_CRIU = { major: 3, minor: 15, sublevel: 0 };

export interface CriuVersion {
  major: number;
  minor: number;
  sublevel: number;
  /** "4.2" */
  text: string;
}

export interface Notification {
  script: string;
  pid: number;
  /** Descriptors CRIU sent with it (orphan-pts-master: the new pty master). Closed after the handler returns. */
  fds: number[];
}

export interface SwrkOptions {
  /** The criu binary (runc's --criu). */
  binary: string;
  /** The stdio CRIU, and so a restored tree that inherits fds, gets. Default: ours. */
  stdio?: [number | 'ignore' | 'inherit', number | 'ignore' | 'inherit', number | 'ignore' | 'inherit'];
  /** More descriptors for criu, as its fds 4, 5, ... (namespaces for inherit_fd). */
  extraFds?: number[];
  /** Called once criu runs, before the request is sent (restore puts it in the container's cgroup and adds to opts). */
  started?: (criuPid: number) => void;
  onNotify?: (n: Notification) => void | Promise<void>;
}

/** Sends one request to a fresh `criu swrk` and returns the final response; a failure is a TsrunError. */
export async function criuRequest(type: criu_req_type, opts: criu_opts | undefined, so: SwrkOptions, features?: criu_features): Promise<criu_resp> {
  const [ours, theirs] = seqpacketPair();
  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: string | null }> | undefined;
  try {
    child = spawn(so.binary, ['swrk', '3'], { stdio: [...(so.stdio ?? ['inherit', 'inherit', 'inherit']), theirs, ...(so.extraFds ?? [])] });
    const spawned = child;
    exited = new Promise((res) => spawned.once('exit', (code, signal) => res({ code, signal })));
    const pid = await new Promise<number>((res, rej) => {
      spawned.once('spawn', () => res(spawned.pid!));
      spawned.once('error', (e: NodeJS.ErrnoException) => rej(spawnError(so.binary, e)));
    });
    // Only CRIU holds its end now: if it dies, our recvmsg sees the end of the stream.
    closeFd(theirs);
    so.started?.(pid);
    const req = create(criu_reqSchema, { type, opts, features });
    const gone = async () => {
      const how = await exited!;
      return new TsrunError(`criu (${so.binary}) exited without answering (${how.signal ? `signal ${how.signal}` : `status ${how.code}`})`, {
        code: 'ERR_UNSUPPORTED',
        path: so.binary,
      });
    };
    // EPIPE: criu is gone before it read the request.
    const send = async (bytes: Uint8Array) => {
      try {
        writeSync(ours, bytes);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET') throw await gone();
        throw e;
      }
    };
    await send(toBinary(criu_reqSchema, req));
    for (;;) {
      const { data, fds } = receiveMessage(ours);
      if (data.length === 0) throw await gone();
      const resp = fromBinary(criu_respSchema, data);
      if (resp.type === criu_req_type.NOTIFY) {
        try {
          if (resp.success) await so.onNotify?.({ script: resp.notify?.script ?? '', pid: resp.notify?.pid ?? 0, fds });
        } finally {
          for (const fd of fds) closeFd(fd);
        }
        await send(toBinary(criu_reqSchema, create(criu_reqSchema, { type: criu_req_type.NOTIFY, notifySuccess: true })));
        continue;
      }
      for (const fd of fds) closeFd(fd);
      if (!resp.success) {
        const why = resp.crErrmsg || (resp.crErrno ? `errno ${resp.crErrno}` : 'no reason given');
        throw new CriuFailed(`criu ${criu_req_type[type]?.toLowerCase()} failed: ${why}`, resp);
      }
      return resp;
    }
  } catch (e) {
    if (child?.pid && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw e;
  } finally {
    closeFd(ours);
    if (child?.pid) await exited;
    else closeFd(theirs);
  }
}

/** CRIU answered with success=false; the log in the image or work directory says why. */
export class CriuFailed extends TsrunError {
  constructor(
    message: string,
    readonly response: criu_resp,
  ) {
    super(message);
  }
}

function spawnError(binary: string, e: NodeJS.ErrnoException): TsrunError {
  if (e.code === 'ENOENT')
    return new TsrunError(`criu binary ${JSON.stringify(binary)} not found: install CRIU ${MIN_CRIU.major}.${MIN_CRIU.minor} or newer, or name it with --criu PATH`, {
      code: 'ERR_NOT_FOUND',
      path: binary,
      errno: 'ENOENT',
      cause: e,
    });
  if (e.code === 'EACCES') return new TsrunError(`criu binary ${JSON.stringify(binary)} is not executable`, { code: 'ERR_SYSCALL', syscall: 'execve', path: binary, errno: 'EACCES', cause: e });
  return new TsrunError(`starting criu ${JSON.stringify(binary)}: ${e.code ?? e.message}`, { code: 'ERR_SYSCALL', syscall: 'spawn', path: binary, errno: e.code, cause: e });
}

/** CRIU's version over RPC; refuses one older than MIN_CRIU. */
export async function criuVersion(binary: string): Promise<CriuVersion> {
  let resp: criu_resp;
  try {
    resp = await criuRequest(criu_req_type.VERSION, undefined, { binary, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    if (e instanceof CriuFailed)
      throw new TsrunError(`criu ${JSON.stringify(binary)} does not answer a VERSION request: CRIU ${MIN_CRIU.major}.${MIN_CRIU.minor} or newer is needed`, { code: 'ERR_UNSUPPORTED', path: binary });
    throw e;
  }
  const v = resp.version;
  if (!v) throw new TsrunError(`criu ${JSON.stringify(binary)} sent no version: CRIU ${MIN_CRIU.major}.${MIN_CRIU.minor} or newer is needed`, { code: 'ERR_UNSUPPORTED', path: binary });
  const version = { major: v.majorNumber, minor: v.minorNumber, sublevel: v.sublevel ?? 0, text: `${v.majorNumber}.${v.minorNumber}${v.sublevel ? `.${v.sublevel}` : ''}` };
  const n = (x: { major: number; minor: number; sublevel: number }) => x.major * 10000 + x.minor * 100 + x.sublevel;
  if (n(version) < n(MIN_CRIU)) {
    throw new TsrunError(`criu ${JSON.stringify(binary)} is version ${version.text}: CRIU ${MIN_CRIU.major}.${MIN_CRIU.minor} or newer is needed`, { code: 'ERR_UNSUPPORTED', path: binary });
  }
  return version;
}

/** Asks CRIU which of the given features this kernel and CRIU support; resolves to the names missing. */
export async function missingFeatures(binary: string, want: { memTrack?: boolean; lazyPages?: boolean }): Promise<string[]> {
  const features = create(criu_featuresSchema, want);
  const resp = await criuRequest(criu_req_type.FEATURE_CHECK, undefined, { binary, stdio: ['ignore', 'ignore', 'inherit'] }, features);
  const got = resp.features;
  const missing: string[] = [];
  if (want.memTrack && !got?.memTrack) missing.push('memTrack');
  if (want.lazyPages && !got?.lazyPages) missing.push('lazyPages');
  return missing;
}
