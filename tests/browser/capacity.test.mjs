// The capacity model in a real browser, on a small synthetic municipality (Fanø, two clinics):
// the overview draws its need-gap chart; the demo GP comments on the clinic's minimum patient
// number; the analyst answers from the hearing's page and fixes the final number; the clinic's
// page then shows the final number to the GP.
//
// The dataset is made with `almen synth` (ALMEN_BIN), or taken from ALMEN_COCKPIT_DATA (a
// dataset folder) when the binary cannot make one.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, launchBrowser, login, screenshot, startAlmen, testDataset } from './lib.mjs';

const ANALYST = { username: 'analyst', password: 'almen-analyst' };
const COMMENT = 'Mange af vores patienter bor på plejehjem; tallet bør være lavere.';

let data;
let almen;
let browser;
let clinicPath;

before(async () => {
  data = await testDataset('capacity');
  almen = await startAlmen({ extraArgs: ['--data', data.dir] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await almen?.stop();
  await data?.remove();
});

test('the overview draws the need gap of every area, with R and the weight table labelled', async () => {
  const page = await browser.newPage();
  await login(page, almen.url, ANALYST);
  await page.goto(`${almen.url}/capacity`);
  const chart = page.getByTestId('gap-chart');
  await chart.waitFor();
  assert.ok((await chart.locator('rect').count()) >= 1, 'a bar per area');
  assert.match(await page.getByTestId('areas').textContent(), /Fanø/);
  assert.match(await page.getByTestId('reference-r').textContent(), /\d/);
  assert.match(await page.getByTestId('weights-note').textContent(), /syntetiske data/);
  // The level toggle: health councils.
  await page.getByTestId('level').selectOption('sundhedsraad');
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('level') === 'sundhedsraad'),
    page.locator('form[action="/capacity"] button[type="submit"]').click(),
  ]);
  assert.match(await page.getByTestId('areas').textContent(), /Sundhedsråd/);
  await screenshot(page, 'capacity-overview');
  await page.close();
});

test("a GP comments on the clinic's minimum patient number", async () => {
  const page = await browser.newPage();
  await login(page, almen.url, DEMO.gp);
  await page.goto(`${almen.url}/capacity`);
  await Promise.all([
    page.waitForURL((u) => u.pathname.startsWith('/capacity/clinics/')),
    page.getByTestId('own-clinic').first().click(),
  ]);
  clinicPath = new URL(page.url()).pathname;
  await page.getByTestId('steps').waitFor();
  assert.ok((await page.getByTestId('steps').locator('li').count()) >= 5, 'each step with its numbers');
  await page.getByTestId('plo-comparison').waitFor();
  await page.getByTestId('no-final').waitFor();
  await page.getByTestId('comment-form').locator('textarea[name="comment"]').fill(COMMENT);
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('done') === 'comment'),
    page.getByTestId('comment-submit').click(),
  ]);
  assert.equal(await page.getByTestId('comment-text').first().textContent(), COMMENT);
  await screenshot(page, 'capacity-clinic-comment');
  await page.close();
});

test('the analyst answers the comment and fixes the final number', async () => {
  assert.ok(clinicPath, 'the GP test ran first');
  const page = await browser.newPage();
  await login(page, almen.url, ANALYST);
  await page.goto(`${almen.url}/capacity/hearing`);
  assert.equal(await page.getByTestId('open-count').textContent(), '1');
  const open = page.getByTestId('open-comment').first();
  assert.equal(await open.getByTestId('comment-text').textContent(), COMMENT);
  await open.locator('textarea[name="answer"]').fill('Vægtene tager højde for alderen; vi nedsætter tallet.');
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('done') === 'answer'),
    open.getByTestId('answer-submit').click(),
  ]);
  await page.getByTestId('no-open').waitFor();
  await screenshot(page, 'capacity-hearing');

  await page.goto(`${almen.url}${clinicPath}`);
  const form = page.getByTestId('final-form');
  await form.locator('input[name="final_minimum"]').fill('1234');
  await form.locator('textarea[name="reason"]').fill('Aftalt med lægen efter høringen.');
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('done') === 'final'),
    page.getByTestId('final-submit').click(),
  ]);
  assert.equal(await page.getByTestId('final-number').textContent(), '1.234');
  await page.close();
});

test("the clinic's page shows the GP the final number and the answer", async () => {
  assert.ok(clinicPath, 'the GP test ran first');
  const page = await browser.newPage();
  await login(page, almen.url, DEMO.gp);
  await page.goto(`${almen.url}${clinicPath}`);
  assert.equal(await page.getByTestId('final-number').textContent(), '1.234');
  assert.match(await page.getByTestId('answer-text').first().textContent(), /nedsætter tallet/);
  assert.equal((await page.getByTestId('comment-status').first().textContent()).trim(), 'besvaret');
  await screenshot(page, 'capacity-clinic-final');
  await page.close();
});
