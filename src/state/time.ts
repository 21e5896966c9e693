/**
 * Now as Go's time.RFC3339Nano prints a UTC time (runc's `created`):
 * nanosecond digits with trailing zeros dropped. performance.timeOrigin +
 * now() carries sub-millisecond digits that Date does not.
 */
export function nowRfc3339Nano(): string {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.round((ms - whole * 1000) * 1e6));
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  const frac = String(nanos).padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? '.' + frac : ''}Z`;
}
