// cordvault's browser end-to-end test: a real manager, Debian chromium driven
// by playwright-core, and the scenario of README.md, asserted through the
// data-testid contract of the UI. Exits non-zero on the first failure.
//
//   node run.mjs            (CORDVAULT_SERVER_BIN, E2E_ARTIFACTS, E2E_PORT optional)

import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { pictures } from './fixtures.mjs';
import {
  artifactsDir, assert, entrySel, fail, launchBrowser, removeDir, serverBin, sha256File, signIn, sleep,
  startServer, stepper, tempDir, tid, uploadSel, waitUploadDone, writeRandomFile,
} from './harness.mjs';

const BIG_MIB = Number(process.env.E2E_BIG_MIB || 200);
const TOTAL_TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_SECS || 480) * 1000;
const ALICE = { name: 'alice', password: 'alice-password-1' };
const BOB = { name: 'bob', password: 'bob-password-1' };
const LINK_PASSWORD = 'link-secret-7';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The test files: pics/ with one picture of each type, and big.bin. */
async function makeFixtures(dir) {
  const pics = join(dir, 'pics');
  mkdirSync(pics);
  const images = {};
  for (const [name, base64] of Object.entries(pictures)) {
    const bytes = Buffer.from(base64, 'base64');
    writeFileSync(join(pics, name), bytes);
    images[name] = { path: join(pics, name), sha256: sha256(bytes) };
  }
  const big = join(dir, 'big.bin');
  await writeRandomFile(big, BIG_MIB);
  return { pics, images, big: { path: big, sha256: await sha256File(big) } };
}

/** Selects exactly one entry with a plain click and checks the UI marks it. */
async function select(page, name) {
  const entry = page.locator(entrySel(name));
  await entry.click();
  await page.locator(`${entrySel(name)}[data-selected="true"]`).waitFor();
}

/** Opens a files-view path and waits for the listing to show `expect` (an entry name). */
async function openFolder(page, server, path, expect) {
  await page.goto(`${server.url}/files/${path}`);
  await page.locator(tid('entry-list')).waitFor({ state: 'attached' });
  if (expect) await page.locator(entrySel(expect)).waitFor();
}

/** Fills and confirms the generic prompt dialog. */
async function answerPrompt(page, value) {
  await page.locator(tid('dialog')).waitFor();
  await page.locator(tid('dialog-input')).fill(value);
  await page.locator(tid('dialog-ok')).click();
  await page.locator(tid('dialog')).waitFor({ state: 'hidden' });
}

/** Clicks `trigger`, takes the download it starts and returns its SHA-256. */
async function downloadSha(page, trigger) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), trigger()]);
  const failure = await download.failure();
  if (failure) fail(`download ${download.suggestedFilename()} failed: ${failure}`);
  return { name: download.suggestedFilename(), sha256: await sha256File(await download.path()) };
}

/** Switches the files view to the grid unless it already is (entry-list carries data-view). */
async function ensureGrid(page) {
  const list = page.locator(tid('entry-list'));
  await list.waitFor({ state: 'attached' });
  if ((await list.getAttribute('data-view')) !== 'grid') await page.locator(tid('view-toggle')).click();
  await page.locator(`${tid('entry-list')}[data-view="grid"]`).waitFor({ state: 'attached' });
}

/** Waits until every named entry shows a loaded thumbnail; reloads between polls. */
async function waitThumbnails(page, names, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let lastReload = Date.now();
  for (;;) {
    const missing = [];
    for (const name of names) {
      const loaded = page.locator(`${entrySel(name)} img${tid('thumb')}[data-loaded="true"]`);
      if ((await loaded.count()) === 0) missing.push(name);
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline) fail(`no loaded thumbnail after ${timeoutMs / 1000} s for: ${missing.join(', ')}`);
    // Watch should refresh the list by itself; a reload now and then covers a missed event.
    if (Date.now() - lastReload > 10_000) {
      await page.reload();
      await ensureGrid(page);
      lastReload = Date.now();
    }
    await sleep(500);
  }
}

async function scenario(server, browser, files, log) {
  const aliceContext = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await aliceContext.newPage();
  page.setDefaultTimeout(20_000);
  // A delete may ask with window.confirm; the test always agrees.
  page.on('dialog', (dialog) => dialog.accept());
  const imageNames = Object.keys(files.images);
  const image = imageNames[0];

  await log.step('register-login', page, async () => {
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/login$/);
    await signIn(page, server, ALICE.name, ALICE.password, { register: true });
    // The first user is an admin: the admin link shows.
    await page.locator(tid('nav-admin')).waitFor();
    await page.locator(tid('logout')).click();
    await page.locator(tid('login-username')).waitFor();
    await signIn(page, server, ALICE.name, ALICE.password);
    await page.waitForURL(/\/files\/?$/);
  });

  await log.step('create-folder', page, async () => {
    await page.locator(tid('new-folder')).click();
    await answerPrompt(page, 'docs');
    await page.locator(`${entrySel('docs')}[data-kind="folder"]`).waitFor();
  });

  // The UI hashes each file in a worker; it falls back to the page's own
  // thread only when the worker cannot start, which must not go unnoticed.
  let hashWorkers = 0;
  page.on('worker', (worker) => {
    if (new URL(worker.url()).pathname === '/hash-worker.js') hashWorkers += 1;
  });

  await log.step('upload-folder', page, async () => {
    await page.locator(tid('upload-folder')).setInputFiles(files.pics);
    for (const name of imageNames) await waitUploadDone(page, `pics/${name}`, 60_000);
    await page.locator(`${entrySel('pics')}[data-kind="folder"]`).waitFor();
    assert(hashWorkers === imageNames.length, `${imageNames.length} files were hashed in ${hashWorkers} hash workers`);
  });

  // Counts the chunks the browser sends, to prove the resumed upload sent
  // only the missing ones (the UI's PutChunk goes to the manager or a worker).
  const chunkSize = Number(process.env.CHUNK_SIZE || 4 * 1024 * 1024);
  const chunkCount = Math.ceil((BIG_MIB * 1024 * 1024) / chunkSize);
  const putChunks = { sent: 0, acked: 0 };
  page.on('request', (request) => {
    if (request.url().endsWith('/cordvault.v1.TransferService/PutChunk')) putChunks.sent += 1;
  });
  page.on('response', (response) => {
    if (response.url().endsWith('/cordvault.v1.TransferService/PutChunk') && response.ok()) putChunks.acked += 1;
  });

  await log.step('upload-big-interrupted', page, async () => {
    await page.locator(tid('upload-files')).setInputFiles(files.big.path);
    // Polled inside the page every 20 ms: a fast server moves several percent
    // per round trip of the test, and the interruption must land mid-upload.
    const seen = await page.waitForFunction((selector) => {
      const item = document.querySelector(selector);
      const state = item?.getAttribute('data-state');
      if (state === 'done' || state === 'error' || state === 'skipped') return { state };
      const match = state === 'uploading' && item.textContent.match(/(\d+(?:\.\d+)?)\s*%/);
      return match && Number(match[1]) > 15 ? { state, percent: Number(match[1]) } : null;
    }, uploadSel('big.bin'), { polling: 20, timeout: 180_000 }).then((handle) => handle.jsonValue());
    if (seen.percent === undefined) fail(`big.bin reached state ${seen.state} before it could be interrupted at >15%`);
    const percent = seen.percent;
    assert(percent < 100, 'big.bin uploaded too fast to be interrupted; raise E2E_BIG_MIB');
    // Reload at once (the screenshot comes after the step), so that a fast
    // server cannot finish the upload before it is interrupted.
    await page.reload();
    console.log(`  interrupted big.bin at ${percent}% by reloading the page (${putChunks.acked} chunks acknowledged)`);
    await page.locator(tid('entry-list')).waitFor({ state: 'attached' });
    putChunks.sent = 0;
  });

  await log.step('upload-big-resumed', page, async () => {
    await page.locator(tid('upload-files')).setInputFiles(files.big.path);
    await page.locator(`${uploadSel('big.bin')}[data-resumed="true"]`).waitFor({ timeout: 120_000 });
    const started = Date.now();
    await waitUploadDone(page, 'big.bin', 240_000);
    console.log(`  resumed upload finished in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
      `sending ${putChunks.sent} of ${chunkCount} chunks`);
    assert(putChunks.sent > 0 && putChunks.sent < chunkCount,
      `the resumed upload should send only the missing chunks, but sent ${putChunks.sent} of ${chunkCount}`);
    await page.locator(`${entrySel('big.bin')}[data-kind="file"]`).waitFor();
  });

  await log.step('thumbnails', page, async () => {
    await page.locator(entrySel('pics')).dblclick();
    await page.waitForURL(/\/files\/pics\/?$/);
    for (const name of imageNames) await page.locator(entrySel(name)).waitFor();
    await ensureGrid(page);
    await waitThumbnails(page, imageNames, 60_000);
  });

  await log.step('rename-move', page, async () => {
    await page.locator(tid('crumb')).first().click();
    await page.waitForURL(/\/files\/?$/);
    await select(page, 'big.bin');
    await page.locator(tid('rename')).click();
    await answerPrompt(page, 'big-renamed.bin');
    await page.locator(entrySel('big-renamed.bin')).waitFor();
    await page.locator(entrySel('big.bin')).waitFor({ state: 'detached' });
    await select(page, 'big-renamed.bin');
    await page.locator(tid('move')).click();
    await answerPrompt(page, '/docs');
    await page.locator(entrySel('big-renamed.bin')).waitFor({ state: 'detached' });
    await page.locator(entrySel('docs')).dblclick();
    await page.waitForURL(/\/files\/docs\/?$/);
    await page.locator(entrySel('big-renamed.bin')).waitFor();
  });

  const bobContext = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const bobPage = await bobContext.newPage();
  bobPage.setDefaultTimeout(20_000);

  await log.step('create-bob', page, async () => {
    await page.locator(tid('nav-admin')).click();
    await page.waitForURL(/\/admin\/?$/);
    await page.locator(`${tid('user-row')}[data-name="${ALICE.name}"]`).waitFor();
    await page.locator(tid('create-user-name')).fill(BOB.name);
    await page.locator(tid('create-user-password')).fill(BOB.password);
    await page.locator(tid('create-user-submit')).click();
    await page.locator(`${tid('user-row')}[data-name="${BOB.name}"]`).waitFor();
  });

  await log.step('share-docs', page, async () => {
    await openFolder(page, server, '', 'docs');
    await select(page, 'docs');
    await page.locator(tid('share')).click();
    await page.locator(tid('share-user')).fill(BOB.name);
    await page.locator(tid('share-level')).selectOption('read');
    await page.locator(tid('share-add')).click();
    await page.locator(`${tid('share-row')}[data-user="${BOB.name}"]`).waitFor();
    await page.locator(tid('dialog-close')).click();
  });

  await log.step('bob-downloads', bobPage, async () => {
    await signIn(bobPage, server, BOB.name, BOB.password);
    assert((await bobPage.locator(tid('nav-admin')).count()) === 0, 'bob must not see nav-admin');
    await openFolder(bobPage, server, 'docs', 'big-renamed.bin');
    await select(bobPage, 'big-renamed.bin');
    // A read share: the toolbar offers downloading, not changing (List says "read").
    for (const action of ['rename', 'move', 'delete', 'link', 'share']) {
      await bobPage.locator(`${tid(action)}:disabled`).waitFor({ timeout: 5_000 });
    }
    const got = await downloadSha(bobPage, () => bobPage.locator(tid('download')).click());
    assert(got.sha256 === files.big.sha256, `bob's download of big-renamed.bin differs: ${got.sha256} != ${files.big.sha256}`);
  });
  await bobContext.close();

  let fileLink;
  let folderLink;
  await log.step('create-links', page, async () => {
    await openFolder(page, server, 'pics', image);
    await select(page, image);
    await page.locator(tid('link')).click();
    await page.locator(tid('link-create')).click();
    await page.locator(tid('link-row')).first().waitFor();
    fileLink = await page.locator(`${tid('link-row')} ${tid('link-url')}`).first().getAttribute('href');
    await page.locator(tid('dialog-close')).click();

    await openFolder(page, server, '', 'docs');
    await select(page, 'docs');
    await page.locator(tid('link')).click();
    await page.locator(tid('link-password')).fill(LINK_PASSWORD);
    await page.locator(tid('link-create')).click();
    await page.locator(tid('link-row')).first().waitFor();
    folderLink = await page.locator(`${tid('link-row')} ${tid('link-url')}`).first().getAttribute('href');
    await page.locator(tid('dialog-close')).click();
    for (const url of [fileLink, folderLink]) {
      assert(/^https?:\/\/[^/]+\/s\/[^/]+$/.test(url || ''), `link-url should be an absolute /s/<id> URL, got ${url}`);
    }
    console.log(`  links: ${fileLink} (file), ${folderLink} (folder, password)`);
  });

  const guestContext = await browser.newContext({ acceptDownloads: true });
  const guest = await guestContext.newPage();
  guest.setDefaultTimeout(20_000);

  await log.step('open-links', guest, async () => {
    // A file link answers with the file as an attachment: the page becomes a download.
    const got = await downloadSha(guest, () => guest.goto(fileLink).catch(() => {}));
    assert(got.sha256 === files.images[image].sha256, `the file link served other bytes than ${image}`);
    const response = await guest.goto(folderLink);
    assert(response.status() === 401, `password link should answer 401 first, got ${response.status()}`);
    const password = guest.locator('input[name="password"]');
    await password.waitFor();
    await password.fill(LINK_PASSWORD);
    await Promise.all([guest.waitForNavigation(), guest.locator('button[type="submit"]').click()]);
    await guest.getByText('big-renamed.bin').first().waitFor();
  });
  await guestContext.close();

  await log.step('delete-restore', page, async () => {
    await openFolder(page, server, 'pics', image);
    await select(page, image);
    await page.locator(tid('delete')).click();
    // Deleting may ask through the generic dialog (window.confirm is accepted above).
    const ok = page.locator(tid('dialog-ok'));
    await ok.waitFor({ timeout: 1_500 }).then(() => ok.click(), () => {});
    await page.locator(entrySel(image)).waitFor({ state: 'detached' });
    await page.locator(tid('nav-trash')).click();
    await page.waitForURL(/\/trash\/?$/);
    const trashed = page.locator(`${tid('trash-entry')}[data-name="${image}"]`);
    await trashed.locator(tid('restore')).click();
    await trashed.waitFor({ state: 'detached' });
    await openFolder(page, server, 'pics', image);
  });

  await log.step('alice-downloads', page, async () => {
    await select(page, image);
    const small = await downloadSha(page, () => page.locator(tid('download')).click());
    assert(small.sha256 === files.images[image].sha256, `downloaded ${image} differs from the original`);
    await openFolder(page, server, 'docs', 'big-renamed.bin');
    await select(page, 'big-renamed.bin');
    const big = await downloadSha(page, () => page.locator(tid('download')).click());
    assert(big.sha256 === files.big.sha256, `downloaded big-renamed.bin differs: ${big.sha256} != ${files.big.sha256}`);
  });
  await aliceContext.close();
}

async function main() {
  const started = Date.now();
  console.log(`e2e: server ${serverBin}, artifacts ${artifactsDir}`);
  const fixturesDir = tempDir('cordvault-e2e-files-');
  let server;
  let browser;
  let timer;
  try {
    const files = await makeFixtures(fixturesDir);
    console.log(`fixtures ready in ${fixturesDir} (${BIG_MIB} MiB big.bin, sha256 ${files.big.sha256.slice(0, 12)}…)`);
    server = await startServer();
    console.log(`server up at ${server.url} (pid ${server.pid})`);
    browser = await launchBrowser();
    const log = stepper();
    const overall = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`e2e exceeded ${TOTAL_TIMEOUT_MS / 1000} s`)), TOTAL_TIMEOUT_MS);
    });
    await Promise.race([scenario(server, browser, files, log), overall]);
    console.log(`e2e passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    console.error(`\ne2e FAILED: ${err.message}\n${(err.cause || err).stack || ''}`);
    if (server) console.error(`\n--- server log (tail) ---\n${server.logTail()}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    removeDir(fixturesDir);
  }
}

await main();
