/**
 * Task events to containerd. containerd 1.6 passes its ttrpc address in
 * TTRPC_ADDRESS and its shims forward events there
 * (containerd.services.events.ttrpc.v1.Events/Forward), as the runc shim
 * does; without it, the publish binary (`containerd publish`, the event
 * as an Any on stdin) is used. Events go out one at a time, in order.
 */
import { spawn } from 'node:child_process';
import { TtrpcClient } from '../ttrpc/index.js';
import { encode, timestamp, toAny, type Msg } from './codec.js';
import type { Logger } from './log.js';

export const Topic = {
  TaskCreate: '/tasks/create',
  TaskStart: '/tasks/start',
  TaskExit: '/tasks/exit',
  TaskDelete: '/tasks/delete',
  TaskOOM: '/tasks/oom',
  TaskExecAdded: '/tasks/exec-added',
  TaskExecStarted: '/tasks/exec-started',
  TaskPaused: '/tasks/paused',
  TaskResumed: '/tasks/resumed',
} as const;
export type EventName = keyof typeof Topic;

export interface PublisherOptions {
  namespace: string;
  ttrpcAddress?: string;
  publishBinary?: string;
  containerdAddress?: string;
  log: Logger;
}

export class Publisher {
  private queue: Promise<void> = Promise.resolve();
  private client: Promise<TtrpcClient> | null = null;

  constructor(private readonly opts: PublisherOptions) {}

  publish(event: EventName, body: Msg): void {
    const any = toAny(`containerd.events.${event}`, body);
    this.queue = this.queue.then(() => this.send(Topic[event], any)).catch((e) => this.opts.log.error(`publish ${event}: ${(e as Error).message}`));
  }

  /** Resolves once every queued event went out. */
  async drain(): Promise<void> {
    await this.queue;
    if (this.client) (await this.client.catch(() => null))?.close();
    this.client = null;
  }

  private async send(topic: string, any: { type_url: string; value: Uint8Array }): Promise<void> {
    const { namespace, ttrpcAddress } = this.opts;
    if (ttrpcAddress) {
      const req = encode('containerd.services.events.ttrpc.v1.ForwardRequest', {
        envelope: { timestamp: timestamp(new Date()), namespace, topic, event: any },
      });
      for (let attempt = 0; ; attempt++) {
        this.client ??= TtrpcClient.connect(ttrpcAddress.replace(/^unix:\/\//, ''));
        try {
          const c = await this.client;
          await c.call('containerd.services.events.ttrpc.v1.Events', 'Forward', req, {
            timeoutMs: 5000,
            metadata: [{ key: 'containerd-namespace-ttrpc', value: namespace }],
          });
          return;
        } catch (e) {
          // containerd restarted: reconnect once.
          this.client = null;
          if (attempt >= 1) throw e;
        }
      }
    }
    await this.viaBinary(topic, encode('google.protobuf.Any', any));
  }

  private viaBinary(topic: string, payload: Uint8Array): Promise<void> {
    const { publishBinary = 'containerd', containerdAddress, namespace } = this.opts;
    const args = [...(containerdAddress ? ['--address', containerdAddress] : []), 'publish', '--topic', topic, '--namespace', namespace];
    return new Promise((resolve, reject) => {
      const p = spawn(publishBinary, args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d) => (err += d));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${publishBinary} publish exited ${code}: ${err.trim()}`))));
      p.stdin!.end(Buffer.from(payload));
    });
  }
}
