import type { FlagSpec } from '../args.js';
import { emptyNsBits } from '../../checkpoint/options.js';

/** The flags checkpoint and restore share, worded as runc's. */
export const criuFlags: FlagSpec[] = [
  { name: 'image-path', kind: 'string', help: 'path for the criu image files (default ./checkpoint)' },
  { name: 'work-path', kind: 'string', help: 'path for criu work files and logs (default: the image path)' },
  { name: 'tcp-established', kind: 'bool', help: 'allow open tcp connections' },
  { name: 'ext-unix-sk', kind: 'bool', help: 'allow external unix sockets' },
  { name: 'shell-job', kind: 'bool', help: 'allow shell jobs' },
  { name: 'file-locks', kind: 'bool', help: 'handle file locks, for safety' },
  { name: 'manage-cgroups-mode', kind: 'string', help: 'cgroups mode: soft (default), full, strict or ignore' },
  { name: 'empty-ns', kind: 'list', help: 'create a namespace, but do not restore its properties (network)' },
  { name: 'auto-dedup', kind: 'bool', help: 'enable auto deduplication of memory images' },
  { name: 'lazy-pages', kind: 'bool', help: 'use userfaultfd to lazily restore memory pages' },
];

/** The shared options from parsed flags; `criu` is the global --criu. */
export function criuOptions(f: Record<string, unknown>, criu: string | undefined) {
  return {
    criu,
    imagePath: f['image-path'] as string | undefined,
    workPath: f['work-path'] as string | undefined,
    tcpEstablished: f['tcp-established'] === true,
    extUnixSk: f['ext-unix-sk'] === true,
    shellJob: f['shell-job'] === true,
    fileLocks: f['file-locks'] === true,
    manageCgroupsMode: f['manage-cgroups-mode'] as string | undefined,
    emptyNs: emptyNsBits((f['empty-ns'] as string[] | undefined) ?? []),
    autoDedup: f['auto-dedup'] === true,
    lazyPages: f['lazy-pages'] === true,
  };
}
