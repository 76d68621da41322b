// The capacity model in a real browser, on a small synthetic municipality (Fanø, two clinics):
// the overview draws its need-gap chart; the demo GP comments on the clinic's minimum patient
// number; the analyst answers from the hearing's page and fixes the final number; the clinic's
// page then shows the final number to the GP.
//
// The dataset is made with `almen synth` (ALMEN_BIN), or taken from ALMEN_COCKPIT_DATA (a
// dataset folder) when the binary cannot make one.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO, almenBin, launchBrowser, login, screenshot, startAlmen } from './lib.mjs';

const ANALYST = { username: 'analyst', password: 'almen-analyst' };
const COMMENT = 'Mange af vores patienter bor på plejehjem; tallet bør være lavere.';

let dataDir;
let ownData = false;
let almen;
let browser;
let clinicPath;

/** Runs `almen synth` into a temporary folder; resolves with the folder. */
async function synthesise() {
  const dir = await mkdtemp(path.join(tmpdir(), 'almen-capacity-data-'));
  const args = ['synth', '--scale', 'kommune', '--kommune', '563', '--seed', '3', '--out', dir, '--format', 'csv'];
  const child = spawn(almenBin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${almenBin} synth failed (${code}); set ALMEN_COCKPIT_DATA to a dataset folder\n${stderr}`);
  }
  return dir;
}

before(async () => {
  if (process.env.ALMEN_COCKPIT_DATA) {
    dataDir = path.resolve(process.env.ALMEN_COCKPIT_DATA);
  } else {
    dataDir = await synthesise();
    ownData = true;
  }
  almen = await startAlmen({ extraArgs: ['--data', dataDir] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await almen?.stop();
  if (ownData && dataDir) {
    await rm(dataDir, { recursive: true, force: true });
  }
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
