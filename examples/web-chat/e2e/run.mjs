// End-to-end test of the demo in headless Chromium (Debian's package, driven by
// playwright-core): a real chat-server, the built demo, two browser contexts as alice and
// bob. Each step writes screenshots to e2e/screenshots/. Exits non-zero on any failure,
// and ends with a "N passed, N failed" line.
//
// Env: CHAT_SERVER_BIN (default <repo>/target/debug/chat-server), CHROMIUM_PATH
// (default /usr/bin/chromium).

import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { adminApi, serveApp, startChatServer, until } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const shots = join(here, 'screenshots');
const HISTORY = 300;

const steps = [];
const step = (name, fn) => steps.push({ name, fn });

// ---- page helpers -------------------------------------------------------------------------

const listMessage = (page, text) => page.locator('[data-testid=message-list] [data-testid=message]', { hasText: text });
const threadMessage = (page, text) => page.locator('[data-testid=thread-replies] [data-testid=message]', { hasText: text });
const preview = (page, cid) => page.locator(`[data-testid=channel-preview][data-cid="${cid}"]`);

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

async function send(page, text, testid = 'message-input') {
  const input = page.getByTestId(testid);
  await input.fill(text);
  await input.press('Enter');
}

/** Messages with this text in the client's state of a channel (main list and threads). */
function stateCount(page, cid, text) {
  return page.evaluate(
    ([c, t]) => {
      const s = window.__chatClient.getChannel(c)?.state.get();
      if (!s) return -1;
      return [...s.messages, ...Object.values(s.threads).flat()].filter((m) => m.text === t).length;
    },
    [cid, text],
  );
}

async function connectionState(page) {
  return page.getByTestId('connection-status').getAttribute('data-state');
}

// ---- the run --------------------------------------------------------------------------------

async function main() {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const bin = process.env.CHAT_SERVER_BIN ?? join(repoRoot, 'target/debug/chat-server');
  const server = await startChatServer(bin);
  const site = await serveApp(join(here, '..', 'dist'), { dataDir: server.dataDir, serverURL: server.url });
  const admin = adminApi(server.url, server.app);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    // Playwright adds --headless and a fresh temporary --user-data-dir itself.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const consoleErrors = [];
  const ctx = {};
  const open = async (user) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${user}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${user}: page error: ${e.message}`));
    await page.goto(`${site.url}/?user=${user}`);
    await until(`${user} connected`, async () => (await connectionState(page)) === 'connected');
    return { context, page };
  };

  step('seed: users, channels, 300 history messages (REST, server token)', async () => {
    await admin('POST', '/users', { users: { alice: { id: 'alice', name: 'alice' }, bob: { id: 'bob', name: 'bob' }, carol: { id: 'carol', name: 'carol' } } });
    await admin('POST', '/channels/messaging/history/query', { data: { members: ['alice', 'bob'], name: 'History', created_by_id: 'alice' } });
    for (let i = 1; i <= HISTORY; i++) {
      await admin('POST', '/channels/messaging/history/message', { message: { text: `history ${String(i).padStart(3, '0')}`, user_id: 'alice' } });
    }
    await admin('POST', '/channels/messaging/general/query', { data: { members: ['alice', 'bob', 'carol'], name: 'General', created_by_id: 'alice' } });
  });

  step('alice and bob log in in two browser contexts', async () => {
    ctx.a = await open('alice');
    ctx.b = await open('bob');
    await preview(ctx.a.page, 'messaging:general').waitFor();
    await preview(ctx.b.page, 'messaging:general').waitFor();
    await shot(ctx.b.page, '01-bob-logged-in');
  });

  step('alice sends; bob sees an unread badge and the preview', async () => {
    const { page: a } = ctx.a;
    const { page: b } = ctx.b;
    await preview(a, 'messaging:general').click();
    await a.getByTestId('channel-title').filter({ hasText: 'General' }).waitFor();
    await send(a, 'hello bob');
    await listMessage(a, 'hello bob').and(a.locator('[data-status=sent]')).waitFor();
    const badge = preview(b, 'messaging:general').getByTestId('unread-badge');
    await badge.waitFor();
    if ((await badge.textContent()) !== '1') throw new Error(`badge shows ${await badge.textContent()}, want 1`);
    await preview(b, 'messaging:general').getByText('hello bob').waitFor();
    await shot(a, '02-alice-sent');
    await shot(b, '02-bob-unread-badge');
  });

  step('bob opens the channel: sees the message, the badge clears, alice sees the read receipt', async () => {
    const { page: a } = ctx.a;
    const { page: b } = ctx.b;
    await preview(b, 'messaging:general').click();
    await listMessage(b, 'hello bob').waitFor();
    await until('badge cleared', async () => (await preview(b, 'messaging:general').getByTestId('unread-badge').count()) === 0);
    await listMessage(a, 'hello bob').getByTestId('read-receipt').filter({ hasText: 'bob' }).waitFor();
    await shot(b, '03-bob-opened-channel');
    await shot(a, '03-alice-read-receipt');
  });

  step('bob types; alice sees the typing indicator, then the message', async () => {
    const { page: a } = ctx.a;
    const { page: b } = ctx.b;
    await b.getByTestId('message-input').click();
    await b.keyboard.type('hi alice', { delay: 30 });
    await a.getByTestId('typing-indicator').filter({ hasText: 'bob is typing' }).waitFor();
    await shot(a, '04-alice-sees-typing');
    await b.keyboard.press('Enter');
    await listMessage(a, 'hi alice').waitFor();
    await until('typing indicator gone', async () => (await a.getByTestId('typing-indicator').count()) === 0);
  });

  step('a reaction shows on both sides', async () => {
    const { page: a } = ctx.a;
    const { page: b } = ctx.b;
    await listMessage(a, 'hi alice').getByTestId('add-reaction-like').click();
    for (const p of [a, b]) {
      await listMessage(p, 'hi alice').locator('[data-testid=reaction-like][data-count="1"]').waitFor();
    }
    await shot(a, '05-alice-reacted');
    await shot(b, '05-bob-sees-reaction');
  });

  step('a thread reply shows on both sides', async () => {
    const { page: a } = ctx.a;
    const { page: b } = ctx.b;
    await listMessage(b, 'hello bob').getByTestId('reply-button').click();
    await b.getByTestId('thread').waitFor();
    await send(b, 'a thread reply', 'thread-input');
    await threadMessage(b, 'a thread reply').and(b.locator('[data-status=sent]')).waitFor();
    const count = listMessage(a, 'hello bob').getByTestId('reply-count');
    await count.filter({ hasText: '1 reply' }).waitFor();
    await count.click();
    await threadMessage(a, 'a thread reply').waitFor();
    if ((await listMessage(a, 'a thread reply').count()) !== 0) throw new Error('thread-only reply shown in the channel list');
    await shot(b, '06-bob-thread-reply');
    await shot(a, '06-alice-sees-thread-reply');
    await a.getByTestId('close-thread').click();
    await b.getByTestId('close-thread').click();
  });

  step('@mention suggestions: alice picks bob and sends a mention', async () => {
    const { page: a } = ctx.a;
    const { page: b } = ctx.b;
    const input = a.getByTestId('message-input');
    await input.click();
    await a.keyboard.type('@bo');
    await a.getByTestId('mention-suggestions').getByText('@bob').waitFor();
    await shot(a, '07-alice-mention-suggestions');
    await a.keyboard.press('Enter'); // picks the suggestion
    if ((await input.inputValue()) !== '@bob ') throw new Error(`input is ${JSON.stringify(await input.inputValue())}`);
    await a.keyboard.type('look at this');
    await a.keyboard.press('Enter');
    await listMessage(b, '@bob look at this').waitFor();
    const mentioned = await b.evaluate(() =>
      window.__chatClient.getChannel('messaging:general').state.get().messages.find((m) => m.text === '@bob look at this')?.mentioned_users?.map((u) => u.id),
    );
    if (JSON.stringify(mentioned) !== '["bob"]') throw new Error(`mentioned_users ${JSON.stringify(mentioned)}`);
  });

  step(`scroll-back through ${HISTORY} messages loads every page with no gaps or duplicates`, async () => {
    const { page: b } = ctx.b;
    await preview(b, 'messaging:history').click();
    await listMessage(b, 'history 300').waitFor();
    const initial = await b.evaluate(() => window.__chatClient.getChannel('messaging:history').state.get().messages.length);
    const scroller = b.locator('[data-testid=message-list] [data-testid=virtuoso-scroller]');
    let pages = 0;
    while ((await b.getByTestId('list-start').count()) === 0) {
      const before = await b.evaluate(() => window.__chatClient.getChannel('messaging:history').state.get().messages.length);
      await scroller.evaluate((el) => {
        el.scrollTop = 0;
      });
      await until('an older page or the start', async () => {
        const s = await b.evaluate(() => {
          const st = window.__chatClient.getChannel('messaging:history').state.get();
          return { n: st.messages.length, more: st.hasMoreOlder, loading: st.loadingOlder };
        });
        return !s.loading && (s.n > before || !s.more);
      });
      pages += 1;
      if (pages > 40) throw new Error('scroll-back did not reach the start');
    }
    const texts = await b.evaluate(() => window.__chatClient.getChannel('messaging:history').state.get().messages.map((m) => m.text));
    const want = Array.from({ length: HISTORY }, (_, i) => `history ${String(i + 1).padStart(3, '0')}`);
    if (JSON.stringify(texts) !== JSON.stringify(want)) {
      throw new Error(`history is not 001..300 in order: ${texts.length} messages, first ${texts.slice(0, 3)}, dupes ${texts.length - new Set(texts).size}`);
    }
    await listMessage(b, 'history 001').waitFor();
    console.log(`    initial page ${initial} messages, ${pages} scroll-backs to reach ${HISTORY}`);
    await shot(b, '08-bob-scrolled-to-start');
  });

  step('bob goes offline; a message sent meanwhile arrives exactly once when he is back', async () => {
    const { page: a } = ctx.a;
    const { page: b, context: bctx } = ctx.b;
    await preview(b, 'messaging:general').click();
    await listMessage(b, 'hello bob').waitFor();
    await bctx.setOffline(true);
    await until('bob offline', async () => (await connectionState(b)) === 'offline');
    await send(a, 'while you were away');
    await listMessage(a, 'while you were away').and(a.locator('[data-status=sent]')).waitFor();
    if ((await stateCount(b, 'messaging:general', 'while you were away')) !== 0) throw new Error('offline bob received a message');
    await shot(b, '09-bob-offline');
    await bctx.setOffline(false);
    await until('bob reconnected', async () => (await connectionState(b)) === 'connected');
    await listMessage(b, 'while you were away').waitFor();
    await until('recovery settled', async () => (await b.evaluate(() => window.__chatClient.state.get().pendingSends)) === 0);
    const n = await stateCount(b, 'messaging:general', 'while you were away');
    const dom = await listMessage(b, 'while you were away').count();
    if (n !== 1 || dom !== 1) throw new Error(`bob has it ${n} times in state, ${dom} in the page`);
    await shot(b, '09-bob-back-online');
  });

  step('alice sends while offline; it is delivered exactly once when she is back', async () => {
    const { page: a, context: actx } = ctx.a;
    const { page: b } = ctx.b;
    await actx.setOffline(true);
    await until('alice offline', async () => (await connectionState(a)) === 'offline');
    await send(a, 'sent while offline');
    await listMessage(a, 'sent while offline').and(a.locator('[data-status=sending]')).waitFor();
    await a.getByTestId('connection-status').filter({ hasText: '1 waiting to send' }).waitFor();
    await shot(a, '10-alice-offline-queued');
    await actx.setOffline(false);
    await listMessage(a, 'sent while offline').and(a.locator('[data-status=sent]')).waitFor();
    await listMessage(b, 'sent while offline').waitFor();
    await until('both settled', async () => (await connectionState(a)) === 'connected');
    for (const [who, p] of [['alice', a], ['bob', b]]) {
      const n = await stateCount(p, 'messaging:general', 'sent while offline');
      const dom = await listMessage(p, 'sent while offline').count();
      if (n !== 1 || dom !== 1) throw new Error(`${who} has it ${n} times in state, ${dom} in the page`);
    }
    const stored = await admin('POST', '/channels/messaging/general/query', { state: true, messages: { limit: 100 } });
    const copies = stored.messages.filter((m) => m.text === 'sent while offline').length;
    if (copies !== 1) throw new Error(`server stored ${copies} copies`);
    await shot(a, '10-alice-back-online');
    await shot(b, '10-bob-received');
  });

  step('10,000-message list: virtualised, scrolls to the start (figures printed, not asserted)', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`perf: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`perf: page error: ${e.message}`));
    await page.goto(`${site.url}/?perf=10000`);
    await page.locator('[data-testid=message]', { hasText: 'message 10000' }).waitFor();
    const result = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const el = document.querySelector('[data-testid=virtuoso-scroller]');
          const frames = [];
          let maxRows = 0;
          let last = performance.now();
          const tick = (now) => {
            frames.push(now - last);
            last = now;
            maxRows = Math.max(maxRows, document.querySelectorAll('[data-testid=message]').length);
            if (el.scrollTop <= 0 && document.body.textContent.includes('message 1 ')) {
              frames.sort((x, y) => x - y);
              const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))];
              resolve({ frames: frames.length, p50: q(0.5), p95: q(0.95), max: frames[frames.length - 1], maxRows });
              return;
            }
            el.scrollTop = Math.max(0, el.scrollTop - 2000);
            requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        }),
    );
    console.log(
      `    10k list: ${result.frames} frames scrolling 2000 px/frame to the top; frame time p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, max ${result.max.toFixed(1)} ms; at most ${result.maxRows} message rows in the DOM`,
    );
    if (result.maxRows > 200) throw new Error(`${result.maxRows} rows in the DOM: the list is not virtualised`);
    await shot(page, '11-perf-10k-at-start');
    await context.close();
  });

  step('the browser console shows no errors', async () => {
    if (consoleErrors.length) throw new Error(`console errors:\n  ${consoleErrors.join('\n  ')}`);
  });

  let passed = 0;
  let failed = 0;
  let failure;
  for (const s of steps) {
    if (failure) {
      failed += 1;
      console.log(`✗ ${s.name} (not reached: an earlier step failed)`);
      continue;
    }
    const t0 = Date.now();
    try {
      await s.fn();
      passed += 1;
      console.log(`✓ ${s.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed += 1;
      failure = e;
      console.log(`✗ ${s.name}\n    ${e instanceof Error ? e.stack : e}`);
      for (const [who, c] of Object.entries(ctx)) await shot(c.page, `failure-${who}`).catch(() => undefined);
    }
  }
  await browser.close();
  await site.close();
  server.stop();
  if (failure) console.log(`chat-server log:\n${server.logs().slice(-4000)}`);
  console.log(`screenshots: ${shots}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
