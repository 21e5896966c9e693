import { realtime } from '../linux/libc.js';

/**
 * Now as Go's time.RFC3339Nano prints a UTC time (runc's `created`):
 * nanosecond digits with trailing zeros dropped.
 */
export function nowRfc3339Nano(): string {
  const [sec, nsec] = realtime();
  return rfc3339Nano(sec, nsec);
}

/** seconds and nanoseconds since the epoch as RFC 3339 in UTC, nanosecond digits with trailing zeros dropped. */
export function rfc3339Nano(sec: number, nsec: number): string {
  const frac = String(nsec).padStart(9, '0').replace(/0+$/, '');
  return `${utcDateTime(sec)}${frac ? '.' + frac : ''}Z`;
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * YYYY-MM-DDTHH:MM:SS of a UTC time, by arithmetic (Howard Hinnant's
 * civil_from_days). Date's toISOString costs ~1 ms on its first call in a
 * process, a CLI create's only one.
 */
function utcDateTime(sec: number): string {
  const days = Math.floor(sec / 86400);
  const s = sec - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}
