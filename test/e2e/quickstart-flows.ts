/**
 * The quickstart's flows as a client sees them, shared by the Redis (serve + workers) and the
 * dev (one process, in-memory) suites. Each takes the base URLs of a running server.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { WsClient } from './ws-client.js';

export interface Target {
  url: string;
  wsUrl: string;
}

export async function chatPage({ url }: Target): Promise<void> {
  const response = await fetch(`${url}/`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await response.text()).toContain('<title>switchyard chat</title>');
}

export async function hello({ url }: Target): Promise<void> {
  const response = await fetch(`${url}/hello`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(await response.text()).toBe('hello');
}

export async function echoBody({ url }: Target, size = 200 * 1024): Promise<void> {
  const body = randomBytes(size);
  const response = await fetch(`${url}/echo`, { method: 'POST', body, headers: { 'content-type': 'application/x-e2e' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/x-e2e');
  const back = Buffer.from(await response.arrayBuffer());
  expect(back.length).toBe(body.length);
  expect(back.equals(body)).toBe(true);
}

export async function websocketEcho({ wsUrl }: Target): Promise<void> {
  const client = await WsClient.open(`${wsUrl}/ws/echo`);
  try {
    const bytes = randomBytes(1000);
    await client.send('héllo ✓');
    await client.send(bytes);
    const [first, second] = await client.waitForMessages(2);
    expect(first!.binary).toBe(false);
    expect(first!.text).toBe('héllo ✓');
    expect(second!.binary).toBe(true);
    expect(second!.data.equals(bytes)).toBe(true);
  } finally {
    await client.close();
  }
}

/**
 * alice and bob in one room, carol in another: alice and bob both get every message of their
 * room (their own included), carol gets only her own room's.
 */
export async function chat({ wsUrl }: Target): Promise<void> {
  const room = `r${randomBytes(3).toString('hex')}`;
  const alice = await WsClient.open(`${wsUrl}/ws/chat/${room}?name=alice`);
  const bob = await WsClient.open(`${wsUrl}/ws/chat/${room}?name=bob`);
  const carol = await WsClient.open(`${wsUrl}/ws/chat/${room}-other?name=carol`);
  try {
    await alice.send('hi from alice');
    // bob speaks only once alice's message reached him, so both see one order
    expect(JSON.parse((await bob.waitForMessages(1))[0]!.text)).toEqual({ from: 'alice', text: 'hi from alice' });
    await bob.send('hi from bob');
    const expected = [
      { from: 'alice', text: 'hi from alice' },
      { from: 'bob', text: 'hi from bob' },
    ];
    expect((await alice.waitForMessages(2)).map((m) => JSON.parse(m.text))).toEqual(expected);
    expect((await bob.waitForMessages(2)).map((m) => JSON.parse(m.text))).toEqual(expected);
    // carol's own message is a barrier: her connection's events are handled in order, so
    // anything of the other room wrongly sent to her would have reached her before it
    await carol.send('hi from carol');
    await carol.waitForMessages(1);
    expect(carol.received.map((m) => JSON.parse(m.text))).toEqual([{ from: 'carol', text: 'hi from carol' }]);
    expect(alice.received).toHaveLength(2);
    expect(bob.received).toHaveLength(2);
  } finally {
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  }
}
