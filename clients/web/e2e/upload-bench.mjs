// Upload throughput of the web UI: a real manager, headless chromium, one
// file uploaded N times through the `upload-files` input. Each run is timed
// from setInputFiles to data-state=done (hashing in the browser included).
//
//   CORDVAULT_SERVER_BIN=target/release/cordvault-server node upload-bench.mjs [MiB=200] [runs=3]

import { join } from 'node:path';

import {
  assert, entrySel, launchBrowser, removeDir, serverBin, signIn, startServer, tempDir, tid, uploadSel,
  waitUploadDone, writeRandomFile,
} from './harness.mjs';

const mib = Number(process.argv[2] || 200);
const runs = Number(process.argv[3] || 3);
assert(mib > 0 && Number.isInteger(runs) && runs > 0, 'usage: node upload-bench.mjs [MiB] [runs]');

async function main() {
  const dir = tempDir('cordvault-bench-');
  let server;
  let browser;
  try {
    const file = join(dir, 'bench.bin');
    await writeRandomFile(file, mib, 'cordvault-bench');
    server = await startServer({ logName: 'bench-server.log' });
    console.log(`server ${serverBin} at ${server.url} (pid ${server.pid}); ${mib} MiB x ${runs}`);
    browser = await launchBrowser();
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    page.on('dialog', (dialog) => dialog.accept());
    await signIn(page, server, 'bench', 'bench-password-1', { register: true });
    await page.locator(tid('entry-list')).waitFor({ state: 'attached' });

    const speeds = [];
    for (let run = 1; run <= runs; run += 1) {
      // Each run goes to its own folder: a fresh file, never a resumed or
      // conflicting one, with the page reloaded so no old upload item lingers.
      const folder = `run-${run}`;
      await page.locator(tid('new-folder')).click();
      await page.locator(tid('dialog-input')).fill(folder);
      await page.locator(tid('dialog-ok')).click();
      await page.locator(entrySel(folder)).waitFor();
      await page.goto(`${server.url}/files/${folder}`);
      await page.locator(tid('entry-list')).waitFor({ state: 'attached' });
      const started = performance.now();
      await page.locator(tid('upload-files')).setInputFiles(file);
      await page.locator(uploadSel('bench.bin')).waitFor();
      await waitUploadDone(page, 'bench.bin', 30 * 60_000);
      const seconds = (performance.now() - started) / 1000;
      const speed = (mib * 1024 * 1024) / 1e6 / seconds;
      speeds.push(speed);
      const shown = await page.locator(uploadSel('bench.bin')).innerText();
      console.log(`run ${run}: ${seconds.toFixed(2)} s, ${speed.toFixed(1)} MB/s (UI: ${shown.replace(/\s+/g, ' ')})`);
      await page.goto(`${server.url}/files/`);
      await page.locator(tid('entry-list')).waitFor({ state: 'attached' });
    }
    const sorted = [...speeds].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    console.log(`median: ${median.toFixed(1)} MB/s over ${runs} runs of ${mib} MiB`);
    const peak = server.peakRssKib();
    console.log(`server peak RSS (VmHWM): ${peak === null ? 'unknown' : `${(peak / 1024).toFixed(1)} MiB`}`);
  } catch (err) {
    console.error(`upload-bench FAILED: ${err.stack || err.message}`);
    if (server) console.error(`--- server log (tail) ---\n${server.logTail()}`);
    process.exitCode = 1;
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    removeDir(dir);
  }
}

await main();
