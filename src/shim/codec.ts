/**
 * containerd's shim, event and metrics messages, by reflection over the
 * descriptor generated from proto/ at build time. Field names are
 * protobufjs's camelCase (exit_status -> exitStatus), except Any's type_url.
 */
import protobuf from 'protobufjs/light.js';
import { descriptor } from './generated/protos.js';
import { installCodecs } from './generated/protos-codecs.js';

const root = protobuf.Root.fromJSON(descriptor);
// Encoders and decoders written at build time: no new Function() per type at run time.
installCodecs(root);
const types = new Map<string, protobuf.Type>();

export function type(name: string): protobuf.Type {
  let t = types.get(name);
  if (!t) {
    t = root.lookupType(name);
    types.set(name, t);
  }
  return t;
}

const TO_OBJECT = { longs: Number, defaults: true, arrays: true, enums: Number } as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

export function decode(name: string, b: Uint8Array): Msg {
  const t = type(name);
  return t.toObject(t.decode(b), TO_OBJECT);
}

export function encode(name: string, obj: Msg): Uint8Array {
  const t = type(name);
  return t.encode(t.fromObject(obj)).finish();
}

export const EMPTY = new Uint8Array(0);

export interface Any {
  type_url: string;
  value: Uint8Array;
}

/** An Any as containerd's typeurl writes it: the message's full name, no type.googleapis.com/ prefix. */
export function toAny(name: string, obj: Msg): Any {
  return { type_url: name, value: encode(name, obj) };
}

export function timestamp(d: Date): Msg {
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** containerd.v1.types.Status */
export const Status = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4, PAUSING: 5 } as const;

export const TASK_SERVICE = 'containerd.task.v2.Task';
export const T = (m: string) => `containerd.task.v2.${m}`;
