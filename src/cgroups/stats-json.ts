/**
 * JSON.stringify that prints integers above 2^53 exactly (limits such as
 * 9223372036854771712 or an unlimited 18446744073709551615, which a double
 * would turn into ...2000, overflowing a Go uint64 on the reading side).
 */
export function statsToJSON(value: unknown): string {
  const json = JSON.stringify(value, (_k, v) => {
    if (typeof v === 'number' && Number.isInteger(v) && v > Number.MAX_SAFE_INTEGER) {
      return `\u0000${v >= 2 ** 64 ? '18446744073709551615' : BigInt(v).toString()}\u0000`;
    }
    return v;
  });
  return json.replace(/"\\u0000(\d+)\\u0000"/g, '$1');
}
