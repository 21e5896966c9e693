// /etc/subuid and /etc/subgid (subuid(5)): the host id ranges an unprivileged
// user may map into its user namespaces through newuidmap/newgidmap.
import { readFileSync } from 'node:fs';

export interface SubIdRange {
  start: number;
  count: number;
}

/** The ranges delegated to a user, listed under its name or its numeric id, as shadow's newuidmap reads them. */
export function subIdRanges(file: string, user: string | undefined, id: number): SubIdRange[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const out: SubIdRange[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (!owner || start === undefined || count === undefined) continue;
    if (owner !== user && owner !== String(id)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

/** True when [start, start+count) is covered by the union of ranges. */
export function covered(ranges: SubIdRange[], start: number, count: number): boolean {
  let at = start;
  const end = start + count;
  for (let progress = true; at < end && progress; ) {
    progress = false;
    for (const r of ranges) {
      if (r.start <= at && at < r.start + r.count) {
        at = r.start + r.count;
        progress = true;
      }
    }
  }
  return at >= end;
}

/** The user name of uid from /etc/passwd, or undefined. */
export function userNameOf(uid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] !== undefined && f[2] !== '' && Number(f[2]) === uid) return f[0];
    }
  } catch {
    /* no passwd: only numeric entries can match */
  }
  return undefined;
}
