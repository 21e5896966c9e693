import { TsrunError } from '../errors.js';
import { criu_cg_mode } from './generated/rpc_pb.js';

/** --manage-cgroups-mode as CRIU's enum; unset is CRIU's default (soft). */
const CG_MODES: Record<string, criu_cg_mode> = {
  '': criu_cg_mode.DEFAULT,
  soft: criu_cg_mode.SOFT,
  full: criu_cg_mode.FULL,
  strict: criu_cg_mode.STRICT,
  ignore: criu_cg_mode.IGNORE,
};

export function cgroupMode(mode: string | undefined): criu_cg_mode {
  const m = CG_MODES[mode ?? ''];
  if (m === undefined) throw new TsrunError(`invalid --manage-cgroups-mode ${JSON.stringify(mode)}: use soft, full, strict or ignore`);
  return m;
}
