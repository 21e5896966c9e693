// What CRIU would fail on halfway through a dump, checked before it starts,
// so the error names the cause instead of a line deep in dump.log.
import { readFileSync } from 'node:fs';
import { TsrunError } from '../errors.js';

const CAP_SYS_RESOURCE = 24n;

/**
 * CRIU reads every task's rlimits with prlimit(2), which for a process of
 * another user needs CAP_SYS_RESOURCE. This runtime may lack it (it is not
 * in this VM's bounding set); then a container with a non-root user cannot
 * be dumped (runc fails there too, with "Can't get rlimit 0").
 */
export function checkRlimitAccess(pids: readonly number[]): void {
  const self = readFileSync('/proc/self/status', 'utf8');
  const capEff = BigInt('0x' + (/^CapEff:\s*([0-9a-f]+)/m.exec(self)?.[1] ?? '0'));
  if (capEff & (1n << CAP_SYS_RESOURCE)) return;
  const ids = (status: string, name: string) => (new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '').split(/\s+/).slice(0, 3);
  const me = [...ids(self, 'Uid'), ...ids(self, 'Gid')];
  for (const pid of pids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const theirs = [...ids(status, 'Uid'), ...ids(status, 'Gid')];
    if (theirs.some((v, i) => v !== me[i])) {
      throw new TsrunError(
        `cannot checkpoint: process ${pid} runs as uid/gid ${ids(status, 'Uid')[0]}/${ids(status, 'Gid')[0]}, and CRIU needs CAP_SYS_RESOURCE to read the rlimits of another user's process, which this runtime lacks (not in its capability bounding set)`,
        { code: 'ERR_UNSUPPORTED' },
      );
    }
  }
}
