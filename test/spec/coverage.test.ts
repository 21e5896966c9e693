// Every field the runtime-spec config schema allows is applied, refused or
// (labels of security modules this host lacks) warned about: never silently
// ignored. Walks schema/config-schema.json through its $refs, so a field a
// new spec version adds fails here until it is handled or refused.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLED, REFUSED, WARNED, refusedFields, warnedFields } from '../../src/spec/coverage.js';
import { logMessages, makeBundle, stateRoot, TOP, uniqueId } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';

type Schema = Record<string, unknown>;
const SCHEMA_DIR = join(TOP, 'schema');
const files = new Map<string, Schema>();
const load = (f: string): Schema => {
  if (!files.has(f)) files.set(f, JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as Schema);
  return files.get(f)!;
};

/** Follows $ref (within or across schema files) to the node it names. */
function deref(node: Schema, file: string): [Schema, string] {
  while (typeof node.$ref === 'string') {
    const [f, ptr = ''] = node.$ref.split('#');
    file = f || file;
    let n: unknown = load(file);
    for (const p of ptr.split('/').filter(Boolean)) n = (n as Schema)[p];
    node = n as Schema;
  }
  return [node, file];
}

/** Leaf field paths of the config schema: "/process/user/uid", "/mounts/STAR/options/STAR" ("*" for items and map keys). */
function schemaLeaves(): string[] {
  const out = new Set<string>();
  const walk = (raw: Schema, file: string, path: string, depth: number) => {
    const [node, f] = deref(raw, file);
    if (!node || depth > 40) return;
    let leaf = true;
    for (const k of ['allOf', 'anyOf', 'oneOf']) for (const s of (node[k] as Schema[] | undefined) ?? []) walk(s, f, path, depth + 1);
    for (const [k, v] of Object.entries((node.properties as Record<string, Schema> | undefined) ?? {})) {
      leaf = false;
      walk(v, f, `${path}/${k}`, depth + 1);
    }
    const maps = [...Object.values((node.patternProperties as Record<string, Schema> | undefined) ?? {})];
    if (node.additionalProperties && typeof node.additionalProperties === 'object') maps.push(node.additionalProperties as Schema);
    for (const v of maps) {
      leaf = false;
      walk(v, f, `${path}/*`, depth + 1);
    }
    if (node.items) {
      leaf = false;
      walk((Array.isArray(node.items) ? node.items[0] : node.items) as Schema, f, `${path}/*`, depth + 1);
    }
    if (leaf) out.add(path);
  };
  walk(load('config-schema.json'), 'config-schema.json', '', 0);
  return [...out].sort();
}

/** True when the template covers the path: segment by segment ("*" matches "*"), the template possibly shorter. */
const covers = (template: string, path: string) => {
  const a = template.split('/');
  const b = path.split('/');
  return a.length <= b.length && a.every((s, i) => s === b[i]);
};

const leaves = schemaLeaves();
const lists: [string, readonly string[]][] = [
  ['HANDLED', HANDLED],
  ['REFUSED', Object.keys(REFUSED)],
  ['WARNED', Object.keys(WARNED)],
];

t.test('the schema walk finds the fields (so its silence means something)', async (t) => {
  t.ok(leaves.length > 150, `${leaves.length} leaf fields`);
  for (const p of ['/process/user/uid', '/linux/timeOffsets/boottime/secs', '/process/scheduler/policy', '/linux/personality/domain', '/mounts/*/uidMappings/*/hostID', '/linux/netDevices/*/name']) {
    t.ok(leaves.includes(p), p);
  }
});

t.test('every schema field is handled, refused or warned about', async (t) => {
  const missing = leaves.filter((p) => !lists.some(([, l]) => l.some((tpl) => covers(tpl, p))));
  t.same(missing, [], 'fields in none of HANDLED, REFUSED, WARNED (src/spec/coverage.ts)');
  const twice = leaves.filter((p) => lists.filter(([, l]) => l.some((tpl) => covers(tpl, p))).length > 1);
  t.same(twice, [], 'fields in more than one list');
});

t.test('every list entry names a field of the schema (no stale entries)', async (t) => {
  for (const [name, l] of lists)
    for (const tpl of l)
      t.ok(
        leaves.some((p) => covers(tpl, p)),
        `${name} ${tpl}`,
      );
});

t.test('refusedFields and warnedFields name the concrete pointers', async (t) => {
  const spec = {
    mounts: [{ destination: '/a' }, { destination: '/b', uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }],
    linux: { intelRdt: { closID: 'x' } },
    process: { user: { uid: 0, gid: 0, username: 'x' }, apparmorProfile: 'x', selinuxLabel: '' },
    windows: { layerFolders: ['C:\\x'] },
  };
  t.same(refusedFields(spec).sort(), [
    '/linux/intelRdt: linux.intelRdt is not supported by this build (and this host has no resctrl)',
    '/process/user/username: a Windows field: Linux processes are named by uid',
    '/windows: a section for Windows: this runtime runs Linux containers',
  ]);
  t.same(warnedFields(spec), [], 'nothing is run without and warned about');
  t.same(refusedFields({ process: spec.process }, '/process'), ['/process/user/username: a Windows field: Linux processes are named by uid'], 'under a prefix');
});

// A config setting each refused field (valid against the schema), for create.
const SAMPLES: Record<string, (s: Spec) => void> = {
  '/process/user/username': (s) => (s.process!.user!.username = 'someone'),
  '/process/commandLine': (s) => (s.process!.commandLine = 'cmd.exe /c echo'),
  '/linux/intelRdt': (s) => (s.linux!.intelRdt = { closID: 'spec12' }),
  '/solaris': (s) => ((s as unknown as Record<string, unknown>).solaris = { milestone: 'svc:/milestone/container:default' }),
};

t.test('create refuses each refused field, naming its pointer, and leaves nothing', async (t) => {
  for (const [template, edit] of Object.entries(SAMPLES)) {
    const { root, run } = stateRoot(t);
    const { dir, spec } = makeBundle(t, edit);
    const pointer = refusedFields(spec)[0]?.split(':')[0] ?? template;
    const id = uniqueId('spec12-refuse');
    const r = await run(['create', '--bundle', dir, id]);
    t.equal(r.code, 1, `${template}: exit 1`);
    t.ok(logMessages(r.stderr).includes(`${pointer}: ${REFUSED[template]}`), `${template}: names ${pointer} (${logMessages(r.stderr).trim()})`);
    t.notOk(existsSync(join(root, id)), `${template}: no state directory`);
  }
});
