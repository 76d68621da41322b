// Helpers for Almen's browser tests: start the real `almen serve` on a free port with a fresh
// SQLite file and the demo users, drive Debian's Chromium with playwright-core, tear both down.
//
// No browser is ever downloaded: playwright-core only speaks to /usr/bin/chromium (override
// with ALMEN_CHROMIUM). The binary is target/debug/almen (override with ALMEN_BIN, e.g.
// target/debug/examples/serve).

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const almenBin = process.env.ALMEN_BIN
  ? path.resolve(repoRoot, process.env.ALMEN_BIN)
  : path.join(repoRoot, 'target', 'debug', 'almen');
export const chromiumPath = process.env.ALMEN_CHROMIUM ?? '/usr/bin/chromium';
export const shotsDir = path.join(repoRoot, 'target', 'browser-shots');

// The demo users of `--demo-users` (almen_server::DEMO_USERS) that the tests log in as.
export const DEMO = {
  gp: { username: 'gp', password: 'almen-gp', name: 'Karen Holm' },
  admin: { username: 'admin', password: 'almen-admin', name: 'Lone Dahl' },
};

// The network is closed and the machine is small: no GPU, no sandbox (root in CI), and none
// of Chromium's calls home.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const READY = /^Almen is serving on (http:\/\/\S+)\s*$/;

/**
 * Starts `almen serve --bind 127.0.0.1:0 --database-url sqlite://TMP/almen.sqlite?mode=rwc
 * --demo-users [...extraArgs]` and resolves once it prints its URL.
 * Returns { url, stop }; stop() sends SIGTERM, waits for exit and removes the temp folder.
 */
export async function startAlmen({ extraArgs = [], timeoutMs = 60_000 } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'almen-browser-'));
  const args = [
    'serve',
    '--bind', '127.0.0.1:0',
    '--database-url', `sqlite://${path.join(dir, 'almen.sqlite')}?mode=rwc`,
    '--demo-users',
    ...extraArgs,
  ];
  const child = spawn(almenBin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const url = await new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      reject(new Error(`${almenBin} did not print its URL within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const m = READY.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${almenBin}: ${err.message} (build it with: cargo build -p almen)`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${almenBin} exited (code ${code}, signal ${signal}) before it was ready\n${stderr}`));
    });
  }).catch(async (err) => {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  });

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  }

  return { url, stop, stderr: () => stderr };
}

/**
 * Launches Chromium headless with a fresh, temporary profile.
 * Returns { context, newPage, close }. newPage() starts with no cookies (no session, default
 * language), so each test begins logged out whatever the test before it did.
 */
/**
 * The dataset a module's test serves: the folder ALMEN_COCKPIT_DATA names, or synthetic Fanø
 * (kommune 563, two clinics, seed 3) made with `almen synth` in a temporary folder. Resolves
 * with `{ dir, remove }`; `remove()` deletes the folder only if it was made here.
 */
export async function testDataset(name) {
  if (process.env.ALMEN_COCKPIT_DATA) {
    return { dir: path.resolve(process.env.ALMEN_COCKPIT_DATA), remove: async () => {} };
  }
  const dir = await mkdtemp(path.join(tmpdir(), `almen-${name}-data-`));
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
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function launchBrowser() {
  const profile = await mkdtemp(path.join(tmpdir(), 'almen-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      locale: 'da-DK',
      timeout: 60_000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`cannot launch ${chromiumPath} (install Debian's chromium package): ${err.message}`);
  }
  return {
    context,
    async newPage() {
      await context.clearCookies();
      return context.newPage();
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Logs in through the login form and waits for the page it leads to. */
export async function login(page, baseUrl, { username, password }) {
  await page.goto(`${baseUrl}/login`);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/login')),
    page.locator('form.login button[type="submit"]').click(),
  ]);
}

/** Saves a full-page screenshot to target/browser-shots/NAME.png (not committed). */
export async function screenshot(page, name) {
  await mkdir(shotsDir, { recursive: true });
  const file = path.join(shotsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
