// The economy pages in a real browser, on a small synthetic municipality (Fanø): the frame
// dashboard renders its chart, and a clinic's control page lists a finding.
// Dataset as in cockpit.test.mjs: `almen synth` (ALMEN_BIN) or ALMEN_COCKPIT_DATA.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO, almenBin, launchBrowser, login, screenshot, startAlmen } from './lib.mjs';

let dataDir;
let ownData = false;
let almen;
let browser;

async function synthesise() {
  const dir = await mkdtemp(path.join(tmpdir(), 'almen-economy-data-'));
  const args = ['synth', '--scale', 'kommune', '--kommune', '563', '--seed', '3', '--out', dir, '--format', 'csv'];
  const child = spawn(almenBin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${almenBin} synth failed (${code}); set ALMEN_COCKPIT_DATA to a dataset folder`);
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

test('the frame dashboard renders its chart', async () => {
  const page = await browser.newPage();
  await login(page, almen.url, DEMO.admin);
  await page.goto(`${almen.url}/economy/frame`);
  await page.getByTestId('frame-chart').waitFor();
  assert.ok((await page.locator('[data-testid="frame-chart"] polyline').count()) > 0);
  assert.ok((await page.getByTestId('tile-overshoot').textContent()).length > 0);
  await screenshot(page, 'economy-frame');
  await page.getByTestId('example-link').click();
  await page.getByTestId('example-note').waitFor();
  assert.match(await page.getByTestId('tile-overshoot').textContent(), /135,0/);
  await screenshot(page, 'economy-frame-2023');
  await page.goto(`${almen.url}/economy/fees`);
  await page.getByTestId('fees-histogram').waitFor();
  await screenshot(page, 'economy-fees');
  await page.close();
});

test("a clinic's control page lists a finding", async () => {
  const page = await browser.newPage();
  await login(page, almen.url, DEMO.gp);
  await page.goto(`${almen.url}/economy`);
  assert.match(new URL(page.url()).pathname, /^\/economy\/clinics\/[^/]+$/);
  await page.getByTestId('findings').waitFor();
  assert.ok((await page.getByTestId('finding').count()) > 0);
  await screenshot(page, 'economy-clinic');
  await page.close();
});
