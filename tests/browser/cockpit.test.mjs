// The clinic cockpit in a real browser, on a small synthetic municipality (Fanø, two clinics):
// the demo GP opens the clinic's cockpit, a list and a patient's overview and saves a
// treatment plan; the administrator finds the patient view in the audit log; the analyst gets
// the aggregates and no patient.
//
// The dataset is made with `almen synth` (ALMEN_BIN), or taken from ALMEN_COCKPIT_DATA (a
// dataset folder) when the binary cannot make one (ALMEN_BIN=target/debug/examples/serve).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, launchBrowser, login, screenshot, startAlmen, testDataset } from './lib.mjs';

const ANALYST = { username: 'analyst', password: 'almen-analyst' };

let data;
let almen;
let browser;

before(async () => {
  data = await testDataset('cockpit');
  almen = await startAlmen({ extraArgs: ['--data', data.dir] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await almen?.stop();
  await data?.remove();
});

let patientId;

test('a GP opens the clinic cockpit, a list and a patient overview, and saves a plan', async () => {
  const page = await browser.newPage();
  await login(page, almen.url, DEMO.gp);

  // The cockpit opens on the GP's own clinic: lists against region and country, with trends.
  await page.goto(`${almen.url}/cockpit`);
  assert.match(new URL(page.url()).pathname, /^\/cockpit\/clinics\/[^/]+$/);
  await page.getByTestId('lists-table').waitFor();
  assert.ok((await page.getByTestId('clinic-name').textContent()).length > 0);
  assert.equal(await page.locator('[data-testid^="bars-"]').count() > 0, true);
  assert.equal(await page.locator('[data-testid^="trend-"] circle').count() > 0, true);
  await screenshot(page, 'cockpit-clinic');

  // A list: members with reasons, ids masked.
  await Promise.all([
    page.waitForURL((u) => u.pathname.endsWith('/lists/hypertension')),
    page.getByTestId('list-link-hypertension').click(),
  ]);
  const members = Number((await page.getByTestId('member-count').textContent()).replace(/\D/g, ''));
  assert.ok(members > 0, 'the clinic has patients with hypertension');
  const first = page.getByTestId('member-link').first();
  const masked = await first.textContent();
  assert.match(masked, /…|XXXX/, 'ids are masked on a list');
  assert.match(await page.getByTestId('members').textContent(), /Diagnose/);
  await screenshot(page, 'cockpit-list');

  // The patient's overview: the full id, the cards, the lists the patient is on.
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/cockpit/patients/')), first.click()]);
  patientId = (await page.getByTestId('patient-id').textContent()).trim();
  assert.notEqual(patientId, masked);
  assert.doesNotMatch(new URL(page.url()).pathname, new RegExp(patientId), 'the address holds no id');
  for (const id of ['diagnosis-card', 'medicines', 'observations', 'contacts-timeline', 'patient-lists']) {
    await page.getByTestId(id).waitFor();
  }
  assert.match(await page.getByTestId('patient-lists').textContent(), /Hypertension/);
  assert.match(await page.getByTestId('view-logged').textContent(), /adgangsloggen/);

  // The treatment plan, agreed with the patient: saved as version 1.
  await page.getByTestId('plan-none').waitFor();
  const form = page.getByTestId('plan-form');
  await form.locator('textarea[name="goals"]').fill('Blodtryk under 140/90 inden sommer.');
  await form.locator('textarea[name="actions"]').fill('Gå 30 minutter om dagen. Ny måling om 3 måneder.');
  await form.locator('input[name="follow_up"]').fill('2026-03-01');
  await form.locator('input[name="agreed_with_patient"]').check();
  await Promise.all([page.waitForURL((u) => u.searchParams.get('saved') === '1'), page.getByTestId('plan-save').click()]);
  await page.getByTestId('plan-saved').waitFor();
  assert.equal(await page.getByTestId('plan-version').textContent(), '1');
  assert.equal(await page.getByTestId('plan-goals').textContent(), 'Blodtryk under 140/90 inden sommer.');
  assert.equal(await page.getByTestId('plan-versions').locator('tbody tr').count(), 1);
  await screenshot(page, 'cockpit-patient');

  // The plan as a document to share.
  const href = await page.getByTestId('plan-export-md').getAttribute('href');
  const res = await page.request.get(new URL(href, almen.url).href);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^text\/markdown/);
  const doc = await res.text();
  assert.ok(doc.includes(patientId));
  assert.match(doc, /Blodtryk under 140\/90/);
  await page.close();
});

test('the administrator finds the patient view in the audit log', async () => {
  assert.ok(patientId, 'the GP test ran first');
  const page = await browser.newPage();
  await login(page, almen.url, DEMO.admin);
  await page.goto(`${almen.url}/audit`);
  const log = await page.locator('main table').textContent();
  assert.match(log, /cockpit\.patient\.view/);
  assert.match(log, /cockpit\.plan\.save/);
  assert.match(log, /cockpit\.list\.view/);
  const row = page.locator('tr', { hasText: 'cockpit.patient.view' }).first();
  const cells = await row.locator('td').allTextContents();
  assert.ok(cells.includes('gp'), `the view is the GP's: ${cells}`);
  assert.ok(!log.includes(patientId), 'the audit page masks the patient id');
  await screenshot(page, 'cockpit-audit');
  await page.close();
});

test('the analyst sees aggregates with small counts suppressed, and no patient', async () => {
  const page = await browser.newPage();
  await login(page, almen.url, ANALYST);
  await page.goto(`${almen.url}/cockpit`);
  assert.equal(new URL(page.url()).pathname, '/cockpit/areas');
  await page.goto(`${almen.url}/cockpit/areas?level=cluster&list=adhd`);
  await page.getByTestId('areas').waitFor();
  await page.goto(`${almen.url}/cockpit/areas?level=kommune&list=dementia`);
  assert.match(await page.getByTestId('areas').textContent(), /Fanø/);
  const res = await page.goto(`${almen.url}/cockpit/patients/${encodeURIComponent(patientId)}`);
  assert.equal(res.status(), 403);
  await page.close();
});
