import { TsrunError } from '../errors.js';
import { problemText, type Problem } from './problem.js';
import { validateConfig } from './generated/validate-config.js';
import { checkLimits, MAX_JSON_DEPTH, tooDeep } from './limits.js';
import { checkProcess, checkSemantics } from './semantic.js';
import type { Process } from './types.js';

export interface ValidateContext {
  /** Absolute bundle directory, to resolve root.path; omit to skip file-system checks. */
  bundle?: string;
  /** Name used in messages. */
  file?: string;
}

/**
 * Validates a config against the runtime-spec schema, then against the rules
 * the schema cannot express. Throws a TsrunError whose lines read
 * `config.json: /json/pointer: what is wrong`.
 */
export function validateSpec(spec: unknown, ctx: ValidateContext = {}): void {
  const file = ctx.file ?? 'config.json';
  const deep = tooDeep(spec);
  if (deep) throw new TsrunError(`${file}: ${deep.shown}: nested deeper than ${MAX_JSON_DEPTH} levels`, { code: 'ERR_CONFIG_INVALID', pointer: deep.pointer });
  checkSchema(spec, file);
  const problems = [...checkSemantics(spec as never, ctx.bundle), ...checkLimits(spec as never)];
  if (problems.length) throw invalid(file, problems);
}

/** One "file: /pointer: what is wrong" line per problem; the error's pointer is the first one's. */
function invalid(file: string, problems: Problem[]): TsrunError {
  return new TsrunError(problems.map((p) => `${file}: ${problemText(p)}`).join('\n'), { code: 'ERR_CONFIG_INVALID', pointer: problems[0]!.pointer });
}

/** A process given to exec (--process FILE, or built from flags): the schema's rules and ours. */
export function validateProcess(proc: unknown, file = 'process'): void {
  checkSchema({ ociVersion: '1.3.0', process: proc }, file);
  const problems = checkProcess(proc as Process);
  if (problems.length) throw invalid(file, problems);
}

function checkSchema(spec: unknown, file: string): void {
  if (!validateConfig(spec)) {
    const errors = validateConfig.errors ?? [];
    // oneOf/anyOf summaries repeat what their branches said; keep the branches.
    const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
    const shown = (specific.length ? specific : errors).map((e) => {
      let msg = e.message ?? 'is invalid';
      if (e.keyword === 'enum') msg += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      if (e.keyword === 'pattern') msg = `must match ${(e.params as { pattern: string }).pattern}`;
      return `${file}: ${e.instancePath || '/'}: ${msg}`;
    });
    const first = specific[0] ?? errors[0];
    throw new TsrunError([...new Set(shown)].slice(0, 8).join('\n'), { code: 'ERR_CONFIG_INVALID', pointer: first?.instancePath ?? '' });
  }
}
