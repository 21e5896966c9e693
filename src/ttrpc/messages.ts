/** ttrpc's Request and Response envelopes (request.proto), by reflection over the generated descriptor. */
import protobuf from 'protobufjs/light.js';
import { descriptor } from './generated/request.js';
import { installCodecs } from './generated/request-codecs.js';

const root = protobuf.Root.fromJSON(descriptor);
// Encoders and decoders written at build time: no new Function() per type at run time.
installCodecs(root);
const RequestType = root.lookupType('ttrpc.Request');
const ResponseType = root.lookupType('ttrpc.Response');

export interface KeyValue {
  key: string;
  value: string;
}

export interface Request {
  service: string;
  method: string;
  payload: Uint8Array;
  /** 0: no deadline. */
  timeoutNano: number;
  metadata: KeyValue[];
}

export interface Response {
  status: { code: number; message: string };
  payload: Uint8Array;
}

const TO_OBJECT = { longs: Number, defaults: true, arrays: true } as const;

export function encodeRequest(r: Request): Uint8Array {
  return RequestType.encode(RequestType.fromObject(r)).finish();
}

export function decodeRequest(b: Uint8Array): Request {
  return RequestType.toObject(RequestType.decode(b), TO_OBJECT) as unknown as Request;
}

export function encodeResponse(r: Response): Uint8Array {
  return ResponseType.encode(ResponseType.fromObject(r)).finish();
}

export function decodeResponse(b: Uint8Array): Response {
  const r = ResponseType.toObject(ResponseType.decode(b), TO_OBJECT) as unknown as Response;
  r.status ??= { code: 0, message: '' };
  r.status.code ??= 0;
  r.status.message ??= '';
  return r;
}
