// The economy pages in a real browser, on a small synthetic municipality (Fanø): the frame
// dashboard renders its chart, and a clinic's control page lists a finding.
// The dataset comes from testDataset (lib.mjs): synthetic Fanø, or ALMEN_COCKPIT_DATA.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, launchBrowser, login, screenshot, startAlmen, testDataset } from './lib.mjs';

let data;
let almen;
let browser;

before(async () => {
  data = await testDataset('economy');
  almen = await startAlmen({ extraArgs: ['--data', data.dir] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await almen?.stop();
  await data?.remove();
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
