// Values from a config can be huge (a 10 MB hostname): messages and logs
// show a bounded piece of them and say how long the whole was.

/** At most this many characters of one value in a message. */
export const SHOWN = 200;

/** s itself when short, else its start and its length. */
export function cut(s: string, max = SHOWN): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters in all)`;
}

/** JSON.stringify(s), cut as `cut` does. */
export function quote(s: string, max = SHOWN): string {
  return s.length <= max ? JSON.stringify(s) : `${JSON.stringify(s.slice(0, max))}… (${s.length} characters in all)`;
}

/** Each line of a message cut to max characters: the last guard before stderr and the log. */
export function cutLines(msg: string, max = 1000): string {
  return msg.length <= max
    ? msg
    : msg
        .split('\n')
        .map((l) => cut(l, max))
        .join('\n');
}
