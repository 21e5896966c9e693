/** One thing wrong with a config: the field, by JSON pointer, and why. Kept apart so nothing parses it back out of a message. */
export interface Problem {
  pointer: string;
  why: string;
}

export const problem = (pointer: string, why: string): Problem => ({ pointer, why });

/** The line a message shows for it: "/process/cwd: must be an absolute path". */
export const problemText = (p: Problem): string => `${p.pointer}: ${p.why}`;
