/**
 * The components' own options (what code passes to InterfaceServer, Worker and the layers):
 * a bad value or a misspelt name fails at construction, naming the option.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLayer, RedisLayer } from '../../channel-layer/index.js';
import { createApp, Worker } from '../../consumers/index.js';
import { InterfaceServer } from '../../interface-server/index.js';

describe('component options', () => {
  const layer = new MemoryLayer();

  it('a misspelt option is named, nested ones with their path', () => {
    expect(() => new InterfaceServer(layer, { limits: { maxBodyByte: 1 } } as never)).toThrow('unknown server option "limits.maxBodyByte"');
    expect(() => new Worker(createApp(), layer, { concurency: 4 } as never)).toThrow('unknown worker option "concurency"');
    expect(() => new MemoryLayer({ expiry: 5, capacty: 1 } as never)).toThrow('unknown memory layer options "expiry", "capacty"');
    expect(() => new RedisLayer({ url: 'redis://127.0.0.1:1', inboxBatchSize: 5 } as never)).toThrow('unknown redis layer option "inboxBatchSize"');
  });

  it('a bad value is named with what is wrong', () => {
    expect(() => new InterfaceServer(layer, { port: 70_000 })).toThrow(/^invalid server option "port": /);
    expect(() => new Worker(createApp(), layer, { concurrency: 0 })).toThrow(/^invalid worker option "concurrency": /);
    expect(() => new MemoryLayer({ heartbeatIntervalMs: 50_000 })).toThrow('heartbeatTimeoutMs must exceed heartbeatIntervalMs');
    expect(() => new RedisLayer({ cluster: 'a:1', sentinels: 'b:2' })).toThrow('"cluster" and "sentinels" exclude each other');
    expect(() => new RedisLayer({ cluster: 'no-port' })).toThrow(/^invalid redis layer option "cluster": host:port/);
    expect(() => createApp().channel('orders', () => {}, { durable: { backoff: { jitter: 2 } } })).toThrow(/^invalid durable channel "orders" option "backoff.jitter": /);
  });
});
