import { realtime } from '../linux/libc.js';

/**
 * Now as Go's time.RFC3339Nano prints a UTC time (runc's `created`):
 * nanosecond digits with trailing zeros dropped.
 */
export function nowRfc3339Nano(): string {
  const [sec, nsec] = realtime();
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  const frac = String(nsec).padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? '.' + frac : ''}Z`;
}
