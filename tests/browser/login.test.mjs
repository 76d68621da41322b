// Logging in, in a real browser: the login form, the start page, the language switch.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, launchBrowser, login, screenshot, startAlmen } from './lib.mjs';

let almen;
let browser;

before(async () => {
  almen = await startAlmen();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await almen?.stop();
});

test('a page without a session leads to the login form', async () => {
  const page = await browser.newPage();
  await page.goto(`${almen.url}/`);
  const url = new URL(page.url());
  assert.equal(url.pathname, '/login');
  assert.equal(url.searchParams.get('next'), '/');
  assert.equal(await page.locator('h1').textContent(), 'Log ind');
  await page.close();
});

test('a wrong password keeps the user on the login form with a message', async () => {
  const page = await browser.newPage();
  await page.goto(`${almen.url}/login`);
  await page.locator('input[name="username"]').fill(DEMO.gp.username);
  await page.locator('input[name="password"]').fill('not-the-password');
  await page.locator('form.login button[type="submit"]').click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /Forkert brugernavn eller adgangskode/);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.close();
});

test('a demo GP logs in and the start page greets her by name and role', async () => {
  const page = await browser.newPage();
  await login(page, almen.url, DEMO.gp);
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.getByTestId('greeting').textContent(), `Goddag, ${DEMO.gp.name}`);
  assert.match(await page.getByTestId('current-user').textContent(), /Karen Holm · Praktiserende læge/);
  await screenshot(page, 'login-start-page-gp');

  // The language switch comes back to the same page, in English.
  await page.getByRole('link', { name: 'EN', exact: true }).click();
  await page.waitForURL(`${almen.url}/`);
  assert.equal(await page.getByTestId('greeting').textContent(), `Hello, ${DEMO.gp.name}`);

  // Logging out ends the session: the start page leads to the login form again.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((u) => u.pathname === '/login');
  await page.goto(`${almen.url}/`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.close();
});

test('an administrator finds the audit log in the navigation', async () => {
  const page = await browser.newPage();
  await login(page, almen.url, DEMO.admin);
  await page.getByRole('navigation').getByRole('link', { name: /Adgangslog|Audit log/ }).click();
  await page.waitForURL(`${almen.url}/audit`);
  assert.match(await page.locator('table').textContent(), /login/);
  await screenshot(page, 'audit-log-admin');
  await page.close();
});
