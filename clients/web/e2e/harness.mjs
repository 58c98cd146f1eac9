// Shared by run.mjs (the end-to-end test) and upload-bench.mjs: starts a real
// cordvault manager and a headless Debian chromium, makes test files, logs
// steps with screenshots, and cleans everything up again.

import { spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, copyFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const e2eDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(e2eDir, '../../..');

export const serverBin = process.env.CORDVAULT_SERVER_BIN || join(repoRoot, 'target/debug/cordvault-server');
export const artifactsDir = process.env.E2E_ARTIFACTS || join(repoRoot, '.ci/artifacts/e2e');

// Playwright cannot download its own browser here; Debian's chromium does.
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
];

export function fail(message) {
  throw new Error(message);
}

export function assert(condition, message) {
  if (!condition) fail(message);
}

export function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

/** A temp dir removed by cleanup(); E2E_KEEP_TMP=1 keeps it for a post-mortem. */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir) {
  if (process.env.E2E_KEEP_TMP === '1') {
    console.log(`kept ${dir}`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Where the manager says it listens (its "cordvault manager listening"
 * log line), once it does: started on port 0, it can only be this server,
 * never another program that happens to hold a port.
 */
function listeningAddress(logPath) {
  try {
    const match = readFileSync(logPath, 'utf8').match(/cordvault manager listening addr=([0-9.]+:[0-9]+)/);
    return match ? match[1] : null;
  } catch {
    return null;
  }
}

/**
 * Starts the manager on loopback with its own data dir and waits for /health.
 * Serves the UI from clients/web/dist (WEB_UI_DIR) so the test covers the
 * current build, not the copy embedded when the binary was compiled; set
 * E2E_EMBEDDED_UI=1 to test the embedded copy instead.
 */
export async function startServer({ extraEnv = {}, logName = 'server.log' } = {}) {
  assert(existsSync(serverBin), `server binary not found: ${serverBin} (build it or set CORDVAULT_SERVER_BIN)`);
  const dir = tempDir('cordvault-e2e-server-');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  // E2E_PORT for machines with assigned port ranges; else the kernel picks.
  const port = Number(process.env.E2E_PORT || 0);
  const env = { ...process.env, ...extraEnv };
  // These would override or confuse the flags below.
  for (const name of ['MANAGER_PORT', 'LISTEN_ADDRESS', 'DATA_DIR', 'WEB_UI_DIR']) delete env[name];
  // Plain text in server.log (tracing-subscriber honours NO_COLOR).
  env.NO_COLOR = '1';
  if (process.env.E2E_EMBEDDED_UI !== '1') env.WEB_UI_DIR = join(repoRoot, 'clients/web/dist');
  const logPath = join(dir, 'server.log');
  const logFd = openSync(logPath, 'w');
  const child = spawn(serverBin, ['--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
    env,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const deadline = Date.now() + 30_000;
  let address = null;
  while (!(address = listeningAddress(logPath))) {
    if (exited) fail(`server exited early (${JSON.stringify(exited)}):\n${readFileSync(logPath, 'utf8')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      fail(`server did not report where it listens within 30 s:\n${readFileSync(logPath, 'utf8')}`);
    }
    await sleep(100);
  }
  const url = `http://${address}`;
  const server = {
    url,
    port: Number(address.split(':')[1]),
    pid: child.pid,
    logPath,
    get exited() {
      return exited;
    },
    /** The tail of the server's log, for failure messages. */
    logTail(lines = 40) {
      try {
        return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    /** Peak resident memory in KiB (VmHWM), while the process lives. */
    peakRssKib() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const match = status.match(/^VmHWM:\s+(\d+)\s+kB/m);
      return match ? Number(match[1]) : null;
    },
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => exited === null && child.kill('SIGKILL'), 5000);
        if (exited === null) await once(child, 'exit');
        clearTimeout(timer);
      }
      // Keep the server's log with the screenshots; the data dir goes.
      try {
        mkdirSync(artifactsDir, { recursive: true });
        copyFileSync(logPath, join(artifactsDir, logName));
      } catch {
        // The log is a convenience; a missing one must not fail the run.
      }
      removeDir(dir);
    },
  };
  for (;;) {
    if (exited) fail(`server exited early (${JSON.stringify(exited)}):\n${server.logTail()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.stop();
      fail(`server did not answer /health within 30 s:\n${server.logTail()}`);
    }
    await sleep(100);
  }
  return server;
}

export async function launchBrowser() {
  assert(existsSync(CHROMIUM), `chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Writes `mib` MiB of seeded pseudo-random bytes: an AES-CTR keystream of
 * the seed, which is fast and the same on every run.
 */
export async function writeRandomFile(path, mib, seed = 'cordvault-e2e') {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const out = createWriteStream(path);
  let left = mib * 1024 * 1024;
  while (left > 0) {
    const block = cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
    left -= block.length;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

/** Numbered steps: a log line each and a screenshot NN-step.png afterwards. */
export function stepper() {
  mkdirSync(artifactsDir, { recursive: true });
  let count = 0;
  const started = Date.now();
  return {
    async step(name, page, body) {
      count += 1;
      const label = `${String(count).padStart(2, '0')}-${name}`;
      const t0 = Date.now();
      console.log(`[${((t0 - started) / 1000).toFixed(1)}s] step ${label} ...`);
      try {
        await body();
      } catch (err) {
        await shot(page, `${label}-FAILED`);
        throw new Error(`step ${label} failed: ${err.message}`, { cause: err });
      }
      await shot(page, label);
      console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] step ${label} ok (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    },
  };
}

async function shot(page, label) {
  try {
    await page.screenshot({ path: join(artifactsDir, `${label}.png`), fullPage: true });
  } catch (err) {
    console.log(`  (screenshot ${label} failed: ${err.message.split('\n')[0]})`);
  }
}

// ---- UI helpers over the DOM contract (dom-contract.md) ----

export const tid = (id) => `[data-testid="${id}"]`;
export const entrySel = (name) => `${tid('entry')}[data-name="${name}"]`;
export const uploadSel = (name) => `${tid('upload-item')}[data-name="${name}"]`;

/** Registers (first user) or logs in through the login view; waits for the header. */
export async function signIn(page, server, username, password, { register = false } = {}) {
  await page.goto(`${server.url}/login`);
  await page.locator(tid('login-username')).fill(username);
  await page.locator(tid('login-password')).fill(password);
  await page.locator(tid(register ? 'register-submit' : 'login-submit')).click();
  await page.locator(tid('whoami')).filter({ hasText: username }).waitFor({ timeout: 15_000 });
}

/**
 * Waits for an upload item to reach state done; fails early on error/skipped.
 * The wait runs in the page, ended by a MutationObserver, rather than as
 * polling from here: the moment of completion is exact (the benchmark times
 * it) and this process takes no CPU from the browser meanwhile.
 */
export async function waitUploadDone(page, name, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    const state = await page
      .evaluate(waitForUploadEnd, { selector: uploadSel(name), timeoutMs: Math.max(0, Math.min(left, 60_000)) })
      // A navigation (the reload test) destroys the page's context; wait again in the new one.
      .catch(() => null);
    const item = page.locator(uploadSel(name));
    if (state === 'done') return item;
    if (state === 'error' || state === 'skipped') {
      fail(`upload ${name} ended in state ${state}: ${await item.textContent()}`);
    }
    if (Date.now() >= deadline) fail(`upload ${name} not done after ${timeoutMs / 1000} s (state ${state})`);
    if (state === null) await sleep(200);
  }
}

/** In the page: resolves with the item's state once it is final, or when `timeoutMs` has passed. */
function waitForUploadEnd({ selector, timeoutMs }) {
  const stateNow = () => document.querySelector(selector)?.getAttribute('data-state') ?? undefined;
  return new Promise((resolve) => {
    const finish = (state) => {
      observer.disconnect();
      clearTimeout(timer);
      resolve(state);
    };
    const check = () => {
      const state = stateNow();
      if (state === 'done' || state === 'error' || state === 'skipped') finish(state);
    };
    const observer = new MutationObserver(check);
    const timer = setTimeout(() => finish(stateNow()), timeoutMs);
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    check();
  });
}
