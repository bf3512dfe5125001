/**
 * The quickstart page in a real headless Chromium (Debian's): it chats through switchyard/client,
 * and after a reload it shows the room's recent lines again, from the room's history.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { killAll, QUICKSTART, startDev, type Listening } from '../helpers/processes.js';

describe('the quickstart page in a browser', () => {
  let server: Listening;
  let browser: Browser;

  beforeAll(async () => {
    server = await startDev(QUICKSTART);
    browser = await Browser.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await killAll();
  });

  const logText = "document.getElementById('log').innerText";

  it('sends a chat line, reloads, and sees the line again from the history', async () => {
    const room = `browser-${randomBytes(3).toString('hex')}`;
    await browser.goto(`${server.url}/?room=${room}&name=tester`);
    await browser.waitFor(`${logText}.includes('connected')`, 'the page to connect');
    await browser.evaluate(`(() => {
      const input = document.querySelector('input[name=text]');
      input.value = 'hello from the browser';
      document.getElementById('send').requestSubmit();
    })()`);
    await browser.waitFor(`${logText}.includes('tester: hello from the browser')`, 'the line to come back');

    await browser.reload();
    await browser.waitFor(`${logText}.includes('connected')`, 'the reloaded page to connect');
    const log = await browser.waitFor<string>(`${logText}.includes('tester: hello from the browser') && ${logText}`, 'the line from the history after the reload');
    expect(log.split('\n').filter((line) => line === 'tester: hello from the browser')).toHaveLength(1);
    // The page before the reload has left the room: one connection, one user.
    await expect.poll(async () => (await fetch(`${server.url}/chat/${room}/presence`)).json()).toEqual({ connections: 1, users: 1 });
  }, 60_000);
});
