/** ttrpc (containerd's RPC over unix sockets) on node:net: framing, a unary server and client. */
export { TtrpcServer, type Handler, type ServerOptions } from './server.js';
export { TtrpcClient, type CallOptions } from './client.js';
export { Code, TtrpcError, type StatusCode } from './status.js';
export type { Request, KeyValue } from './messages.js';
