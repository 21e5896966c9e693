// linux.cgroupsPath under the systemd driver, as runc reads it
// (libcontainer/specconv CreateCgroupConfig, cgroups/systemd getUnitName and
// ExpandSlice): "slice:prefix:name" gives the transient unit
// "prefix-name.scope" in that slice; an empty cgroupsPath means
// ":tsrun:<id>"; an empty slice is system.slice (user.slice for a user
// manager). A slice name's dashes are its ancestry: "a-b.slice" is
// /a.slice/a-b.slice.
import { CgroupError } from '../errors.js';

const POINTER = '/linux/cgroupsPath';

export interface SystemdPath {
  /** The parent slice unit, e.g. "system.slice" ("-.slice" is the root). */
  slice: string;
  /** The scope unit to create, e.g. "tsrun-abc.scope". */
  unit: string;
  /** The slice's cgroup path below the manager's own cgroup: "/system.slice", "/" for -.slice. */
  slicePath: string;
}

function invalid(why: string): CgroupError {
  return new CgroupError(`linux.cgroupsPath: ${why}`, undefined, undefined, POINTER);
}

/** systemd's unit_name_is_valid for a plain (non-template) unit: allowed characters, length, a suffix. */
export function isValidUnitName(name: string, suffix: string): boolean {
  if (name.length > 255 || !name.endsWith(suffix) || name.length === suffix.length) return false;
  return /^[A-Za-z0-9:_.\\-]+$/.test(name.slice(0, -suffix.length));
}

/** runc's ExpandSlice: "a-b.slice" -> "/a.slice/a-b.slice"; "-.slice" -> "/". */
export function expandSlice(slice: string): string {
  const bad = () => invalid(`invalid slice name ${JSON.stringify(slice)}: a systemd slice unit such as system.slice or machine-foo.slice`);
  if (!isValidUnitName(slice, '.slice') && slice !== '-.slice') throw bad();
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '/';
  let path = '';
  let prefix = '';
  for (const part of base.split('-')) {
    if (part === '') throw bad(); // "a--b.slice", "-a.slice", "a-.slice"
    path += `/${prefix}${part}.slice`;
    prefix += `${part}-`;
  }
  return path;
}

/** Parses cgroupsPath for the systemd driver; throws naming /linux/cgroupsPath. */
export function parseSystemdPath(cgroupsPath: string | undefined, id: string, user: boolean): SystemdPath {
  let slice = '';
  let prefix = 'tsrun';
  let name = id;
  if (cgroupsPath) {
    const parts = cgroupsPath.split(':');
    if (parts.length !== 3) {
      throw invalid(`expected "slice:prefix:name" for the systemd cgroup driver, got ${JSON.stringify(cgroupsPath)}`);
    }
    [slice, prefix, name] = parts as [string, string, string];
    if (name === '') throw invalid(`the name part of ${JSON.stringify(cgroupsPath)} is empty`);
  }
  if (slice === '') slice = user ? 'user.slice' : 'system.slice';
  const slicePath = expandSlice(slice);
  if (name.endsWith('.slice')) {
    // runc then makes the container's cgroup a slice unit and joins it through cgroupfs.
    throw new CgroupError(`linux.cgroupsPath: a slice unit as the container's cgroup (${JSON.stringify(name)}) is not supported; name a scope`, undefined, undefined, POINTER, 'ERR_UNSUPPORTED');
  }
  const unit = prefix === '' ? `${name}.scope` : `${prefix}-${name}.scope`;
  if (!isValidUnitName(unit, '.scope')) {
    throw invalid(`${JSON.stringify(unit)} is not a valid systemd unit name (letters, digits and ":-_.\\" only, at most 255 characters)`);
  }
  return { slice, unit, slicePath };
}
