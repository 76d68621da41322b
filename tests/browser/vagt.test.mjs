// The out-of-hours service in real browsers: a call arrives through the phone system's API,
// a visitator takes it and books a consultation, and the coordinator's board (another browser,
// another session) shows both changes live over server-sent events, without reloading.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, login, screenshot, startAlmen } from './lib.mjs';

// Demo users and the demo API token of `--demo-users` (almen_server::DEMO_USERS,
// almen_server::vagt::DEMO_PHONE_TOKEN).
const VISITATOR = { username: 'visitator', password: 'almen-visitator' };
const COORDINATOR = { username: 'coordinator', password: 'almen-coordinator' };
const PHONE_TOKEN = 'almen-demo-phone-token';

let almen;
let coordinatorBrowser;
let visitatorBrowser;

before(async () => {
  almen = await startAlmen();
  // Two browsers, so that the two users have separate cookie jars.
  coordinatorBrowser = await launchBrowser();
  visitatorBrowser = await launchBrowser();
});

after(async () => {
  await coordinatorBrowser?.close();
  await visitatorBrowser?.close();
  await almen?.stop();
});

async function phoneEvent(event) {
  const res = await fetch(`${almen.url}/api/v1/vagt/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PHONE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  return body;
}

test('a call is taken and booked, and the coordinator board follows live', async () => {
  // The coordinator opens the board; it connects to the event stream.
  const board = await coordinatorBrowser.newPage();
  await login(board, almen.url, COORDINATOR);
  await board.goto(`${almen.url}/vagt`);
  assert.equal(new URL(board.url()).pathname, '/vagt/board');
  await board.getByTestId('board-live').filter({ hasText: 'Opdateres løbende' }).waitFor();
  assert.equal(await board.getByTestId('board-queue-length').textContent(), '0');
  assert.equal(await board.getByTestId('site-AAR-booked').textContent(), '0');

  // The phone system reports a call entering the queue; the board shows it without a reload.
  await phoneEvent({
    event_id: 'browser-call-1-entered',
    call_id: 'browser-call-1',
    type: 'entered',
    at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    caller_number: '+45 23 45 67 89',
    urgent: false,
    district: 'Aarhus',
  });
  await board.getByTestId('board-queue-length').filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });
  const queue = await board.getByTestId('board-queue').textContent();
  assert.match(queue, /••••••89/);
  assert.doesNotMatch(queue, /23 45 67 89/, 'the board masks the number');

  // The visitator takes the next call and sees the caller's number in full.
  const desk = await visitatorBrowser.newPage();
  await login(desk, almen.url, VISITATOR);
  await desk.goto(`${almen.url}/vagt`);
  assert.equal(new URL(desk.url()).pathname, '/vagt/visitation');
  await Promise.all([
    desk.waitForURL((u) => u.pathname === '/vagt/calls/browser-call-1'),
    desk.getByTestId('take-next').click(),
  ]);
  assert.equal(await desk.getByTestId('caller-number').textContent(), '+45 23 45 67 89');

  // The board: the queue is empty again, one call in conversation.
  await board.getByTestId('board-queue-length').filter({ hasText: /^0$/ }).waitFor({ timeout: 10_000 });
  assert.equal(await board.getByTestId('board-in-conversation').textContent(), '1');

  // Book the first free slot in Aarhus.
  const form = desk.getByTestId('book-form');
  const options = await form.locator('option').evaluateAll((os) =>
    os.map((o) => ({ value: o.value, label: o.textContent })));
  const aarhus = options.find((o) => o.label.startsWith('Aarhus'));
  assert.ok(aarhus, `a free Aarhus slot among ${JSON.stringify(options)}`);
  await form.locator('select').selectOption(aarhus.value);
  await Promise.all([
    desk.waitForURL((u) => u.pathname === '/vagt/calls/browser-call-1'),
    form.locator('button[type="submit"]').click(),
  ]);
  await desk.getByTestId('booking').waitFor();
  assert.match(await desk.getByTestId('booking').textContent(), /^Aarhus/);
  await screenshot(desk, 'vagt-call-booked');

  // The board shows the booking at Aarhus, still without a reload.
  await board.getByTestId('site-AAR-booked').filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });
  const updates = Number(await board.getByTestId('board').getAttribute('data-updates'));
  assert.ok(updates >= 2, `the board was updated by the stream (${updates} updates)`);
  assert.equal(new URL(board.url()).pathname, '/vagt/board');
  await screenshot(board, 'vagt-board-after-booking');

  await desk.close();
  await board.close();
});

test('a home visit goes on the dispatch list and the driver moves it forward', async () => {
  await phoneEvent({
    event_id: 'browser-call-2-entered',
    call_id: 'browser-call-2',
    type: 'entered',
    at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    caller_number: '+45 31 31 31 31',
    urgent: true,
    district: 'Horsens',
  });
  const desk = await visitatorBrowser.newPage();
  await login(desk, almen.url, VISITATOR);
  await desk.goto(`${almen.url}/vagt/visitation`);
  await Promise.all([
    desk.waitForURL((u) => u.pathname === '/vagt/calls/browser-call-2'),
    desk.getByTestId('take-next').click(),
  ]);
  const form = desk.getByTestId('visit-form');
  await form.locator('select[name="unit"]').selectOption('BIL2');
  await form.locator('input[name="address"]').fill('Søndergade 1, 8700 Horsens');
  await Promise.all([
    desk.waitForURL((u) => u.pathname === '/vagt/calls/browser-call-2'),
    form.locator('button[type="submit"]').click(),
  ]);
  assert.match(await desk.getByTestId('home-visit').textContent(), /Planlagt · Bil 2/);
  await desk.close();

  // The driver's list (the visitator's browser is reused with fresh cookies).
  const list = await coordinatorBrowser.newPage();
  await login(list, almen.url, { username: 'driver', password: 'almen-driver' });
  await list.goto(`${almen.url}/vagt`);
  assert.equal(new URL(list.url()).pathname, '/vagt/visits');
  const row = list.locator('tr[data-status]').filter({ hasText: 'browser-call-2' });
  assert.equal(await row.getAttribute('data-status'), 'planned');
  assert.match(await row.textContent(), /Søndergade 1/);
  assert.match(await row.textContent(), /tilbage/, 'the time left to the 3-hour limit');
  for (const [button, status] of [['Undervejs', 'on_the_way'], ['Fremme', 'arrived']]) {
    await Promise.all([
      list.waitForURL((u) => u.pathname === '/vagt/visits'),
      row.getByRole('button', { name: button }).click(),
    ]);
    assert.equal(await row.getAttribute('data-status'), status);
  }
  await screenshot(list, 'vagt-dispatch-list');
  await list.close();
});

test('the report draws the wait distribution and the service level by hour', async () => {
  const page = await visitatorBrowser.newPage();
  await login(page, almen.url, COORDINATOR);
  await page.goto(`${almen.url}/vagt/report`);
  assert.equal(await page.getByTestId('report-calls').textContent(), '2');
  await page.getByTestId('wait-histogram').waitFor();
  await page.getByTestId('service-by-hour').waitFor();
  await screenshot(page, 'vagt-report');
  await page.close();
});
