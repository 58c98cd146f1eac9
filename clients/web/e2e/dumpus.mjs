// The dumpus web client's decryption path, in headless Chromium, against a
// real manager. A synthetic Discord data package (the package_gen example)
// is served from a loopback HTTP server and submitted through an
// allow-listed link; the manager's in-process worker analyses it; the page
// then does what dumpus-app does: POST /process, poll /status with the key
// as Bearer token, GET /blob → {url, iv, ttl}, fetch the url, WebCrypto
// AES-CBC under SHA-256(key), pako inflate, sql.js. Every table must hold
// exactly the rows the generator says a correct analysis gives, and the
// queries of the client's screens must answer the same on the result as on
// those rows. Also: another key does not open the result, and the demo
// package (iv null, plain gzip) opens. Exits non-zero on any mismatch.
//
//   node dumpus.mjs
//
// PACKAGE_GEN_BIN (default <repo>/target/debug/examples/package_gen),
// CORDVAULT_SERVER_BIN, DUMPUS_SEED (7), DUMPUS_LAYOUT (current),
// DUMPUS_CROSS_ORIGIN=1 (the page on another origin than the manager, as
// dumpus.app calls api.dumpus.app), E2E_ARTIFACTS, E2E_TIMEOUT_SECS (300).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import {
  artifactsDir, assert, e2eDir, launchBrowser, removeDir, repoRoot, serverBin, startServer, tempDir,
} from './harness.mjs';

const GEN_BIN = process.env.PACKAGE_GEN_BIN || join(repoRoot, 'target/debug/examples/package_gen');
const SEED = process.env.DUMPUS_SEED || '7';
const LAYOUT = process.env.DUMPUS_LAYOUT || 'current';
const CROSS_ORIGIN = process.env.DUMPUS_CROSS_ORIGIN === '1';
const TOTAL_TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_SECS || 300) * 1000;
const LOG_NAME = CROSS_ORIGIN ? 'dumpus-cross-origin-server.log' : 'dumpus-server.log';

// The page and what it loads (from this folder's node_modules), under this
// prefix: on the manager's origin answered by page.route, on the other
// origin by the package's HTTP server (a routed page would count as public
// to Chromium's local network access checks, which then block its calls to
// a loopback manager).
const ASSET_PREFIX = '/__dumpus-e2e/';
const ASSETS = {
  'pako.js': ['node_modules/pako/dist/browser/pako.umd.min.js', 'text/javascript'],
  'sql-wasm.js': ['node_modules/sql.js/dist/sql-wasm.js', 'text/javascript'],
  'sql-wasm.wasm': ['node_modules/sql.js/dist/sql-wasm.wasm', 'application/wasm'],
};
const PAGE = `<!doctype html><meta charset="utf-8"><title>dumpus decryption</title><link rel="icon" href="data:,">
<script src="pako.js"></script><script src="sql-wasm.js"></script>`;

// What the dumpus client's screens ask (overview, top lists, guild and DM
// details, stats), over its tables; one with a day range, as the time
// selector sets. Each runs on the result and on the expected rows.
const QUERIES = [
  ['profile', 'SELECT * FROM package_data LIMIT 1'],
  ['daily sent messages', `SELECT day, SUM(occurence_count) FROM activity
     WHERE event_name = 'message_sent' GROUP BY day ORDER BY day`],
  ['sending times', `SELECT hour, SUM(occurence_count) FROM activity
     WHERE event_name = 'message_sent' AND day BETWEEN '2022-01-01' AND '2023-06-30' GROUP BY hour ORDER BY hour`],
  ['top DMs', `SELECT d.dm_user_id, d.user_name, d.user_avatar_url, SUM(a.occurence_count) AS message_count, d.channel_id
     FROM activity a JOIN dm_channels_data d ON a.associated_channel_id = d.channel_id
     WHERE a.event_name = 'message_sent' GROUP BY d.dm_user_id ORDER BY message_count DESC, d.dm_user_id LIMIT 20`],
  ['top guilds', `SELECT g.guild_id, g.guild_name, SUM(a.occurence_count) AS message_count
     FROM activity a JOIN guilds g ON a.associated_guild_id = g.guild_id
     WHERE a.event_name = 'message_sent' GROUP BY g.guild_id ORDER BY message_count DESC, g.guild_id LIMIT 20`],
  ['top channels', `SELECT c.channel_id, c.channel_name, c.guild_id, SUM(a.occurence_count) AS message_count
     FROM activity a JOIN guild_channels_data c ON a.associated_channel_id = c.channel_id
     WHERE a.event_name = 'message_sent' GROUP BY c.channel_id ORDER BY message_count DESC, c.channel_id LIMIT 20`],
  ['guild joins', `SELECT associated_guild_id, SUM(occurence_count) FROM activity
     WHERE event_name = 'guild_joined' GROUP BY 1 ORDER BY 1`],
  ['top bots', `SELECT associated_guild_id, associated_user_id, SUM(occurence_count) AS uses FROM activity
     WHERE event_name = 'application_command_used' GROUP BY 1, 2 ORDER BY uses DESC, 1, 2 LIMIT 20`],
  ['DM reactions', `SELECT d.dm_user_id, SUM(a.occurence_count)
     FROM activity a JOIN dm_channels_data d ON a.associated_channel_id = d.channel_id
     WHERE a.event_name = 'add_reaction' GROUP BY 1 ORDER BY 1`],
  ['stats', `SELECT (SELECT COUNT(DISTINCT dm_user_id) FROM dm_channels_data),
     (SELECT SUM(payment_amount) / 100.0 FROM payments),
     (SELECT COUNT(*) FROM voice_sessions), (SELECT SUM(duration_mins) FROM voice_sessions),
     (SELECT SUM(duration_mins) FROM sessions), (SELECT AVG(duration_mins) FROM sessions),
     (SELECT SUM(occurence_count) FROM activity WHERE event_name = 'app_opened')`],
  ['usage per OS', 'SELECT device_os, COUNT(*), SUM(duration_mins) FROM sessions GROUP BY 1 ORDER BY 1'],
  ['event counts', 'SELECT event_name, SUM(occurence_count) FROM activity GROUP BY 1 ORDER BY 1'],
];

/** The demo database as the manager makes it (workers/analysis/src/demo.rs). */
const DEMO_ROWS = { dm_channels_data: 100, guilds: 100, guild_channels_data: 100, sessions: 10_000, payments: 0 };

/** Writes the package and returns what its analysis must give. */
function generatePackage(zipPath, expectedPath) {
  assert(
    existsSync(GEN_BIN),
    `package generator not found: ${GEN_BIN} (cargo build -p cordvault-test-support --example package_gen)`,
  );
  const args = [zipPath, '--seed', SEED, '--layout', LAYOUT, '--expected', expectedPath];
  const run = spawnSync(GEN_BIN, args, { encoding: 'utf8' });
  assert(run.status === 0, `package_gen failed (${run.status ?? run.signal}): ${run.stderr}`);
  console.log(run.stdout.trim());
  return JSON.parse(readFileSync(expectedPath, 'utf8'));
}

/** The page or one of its assets: [content type, body], or null. */
function asset(path) {
  if (!path.startsWith(ASSET_PREFIX)) return null;
  const file = path.slice(ASSET_PREFIX.length);
  if (file === 'index.html') return ['text/html', PAGE];
  const known = ASSETS[file];
  return known ? [known[1], readFileSync(join(e2eDir, known[0]))] : null;
}

/**
 * Serves the zip at `urlPath` (GET, HEAD; the downloads counted) and the
 * page's assets on a random loopback port.
 */
async function servePackage(zipPath, urlPath) {
  const downloads = { count: 0 };
  const http = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const page = req.method === 'GET' && asset(path);
    if (page) {
      res.writeHead(200, { 'content-type': page[0] }).end(page[1]);
      return;
    }
    if (path !== urlPath || !['GET', 'HEAD'].includes(req.method)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': statSync(zipPath).size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    downloads.count += 1;
    createReadStream(zipPath).pipe(res);
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return { http, downloads, origin: `http://127.0.0.1:${http.address().port}` };
}

/**
 * In the page: what dumpus-app does from submission to an open database;
 * then every table's rows, the client's queries on the result and on a
 * database of the expected rows, another key's attempt, and the demo.
 */
async function dumpusClient({ api, link, key, expected, queries, timeoutMs, assets }) {
  const auth = { authorization: `Bearer ${key}` };
  const getJson = async (url, init, what) => {
    const response = await fetch(url, init);
    if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  const getBytes = async (url, what) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${what}: HTTP ${response.status}`);
    return response.arrayBuffer();
  };
  const fromHex = (hex) => Uint8Array.from(hex.match(/../g), (byte) => parseInt(byte, 16));
  const cipherKey = async (secret) => {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
    return crypto.subtle.importKey('raw', digest, { name: 'AES-CBC' }, false, ['decrypt']);
  };
  const rowsOf = (db, sql) => {
    const result = db.exec(sql);
    return result.length ? result[0].values : [];
  };
  const answer = (db, sql) => {
    try {
      return rowsOf(db, sql);
    } catch (err) {
      return { error: err.message };
    }
  };

  const submitted = await getJson(
    `${api}/process`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ package_link: link }) },
    'POST /process',
  );
  if (!submitted.isAccepted) throw new Error(`POST /process refused the link: ${JSON.stringify(submitted)}`);
  const id = submitted.packageId;

  const steps = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await getJson(`${api}/process/${id}/status`, { headers: auth }, 'GET /status');
    if (steps.at(-1) !== status.processingStep) steps.push(status.processingStep);
    if (status.isErrored) {
      throw new Error(`the package errored: ${status.errorMessageCode} (step ${status.processingStep})`);
    }
    if (status.isDataAvailable) break;
    if (Date.now() > deadline) throw new Error(`not processed after ${timeoutMs / 1000} s; steps ${steps.join(' → ')}`);
    await new Promise((done) => setTimeout(done, 200));
  }

  const blob = await getJson(`${api}/process/${id}/blob`, { headers: auth }, 'GET /blob');
  if (typeof blob.iv !== 'string' || !/^[0-9a-f]{32}$/.test(blob.iv)) {
    throw new Error(`/blob iv is not 32 hex characters: ${JSON.stringify(blob)}`);
  }
  const iv = fromHex(blob.iv);
  const sealed = await getBytes(blob.url, 'GET the /blob url');
  let plain;
  try {
    plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv }, await cipherKey(key), sealed));
  } catch (err) {
    throw new Error(`AES-CBC decryption failed: ${err.name} ${err.message}`);
  }
  const sqlite = pako.inflate(plain);
  const header = new TextDecoder().decode(sqlite.subarray(0, 15));
  if (header !== 'SQLite format 3') throw new Error(`the inflated result is not SQLite: ${JSON.stringify(header)}`);

  const SQL = await initSqlJs({ locateFile: (file) => `${assets}${file}` });
  const db = new SQL.Database(sqlite);
  const schema = rowsOf(db, "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name");
  const tables = {};
  for (const [name] of schema) tables[name] = rowsOf(db, `SELECT * FROM "${name}"`);

  // The expected rows in a database of the result's schema.
  const want = new SQL.Database();
  for (const [name, sql] of schema) {
    want.run(sql);
    const rows = expected[name] || [];
    if (!rows.length) continue;
    const insert = want.prepare(`INSERT INTO "${name}" VALUES (${rows[0].map(() => '?').join(', ')})`);
    for (const row of rows) insert.run(name === 'package_data' ? [id, ...row.slice(1)] : row);
    insert.free();
  }
  const answers = queries.map(([name, sql]) => ({ name, got: answer(db, sql), want: answer(want, sql) }));

  // Another key: WebCrypto rejects the padding, or what comes out is not the result.
  let otherKey;
  try {
    const other = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv }, await cipherKey(`${key}x`), sealed));
    otherKey = other.length === plain.length && other.every((byte, i) => byte === plain[i]) ? 'opened' : 'garbage';
  } catch (err) {
    otherKey = `rejected (${err.name})`;
  }

  const demoBlob = await getJson(`${api}/process/demo/blob`, {}, 'GET /process/demo/blob');
  const demoDb = new SQL.Database(pako.inflate(new Uint8Array(await getBytes(demoBlob.url, 'GET the demo url'))));
  const demoCounts = {};
  for (const [name] of rowsOf(demoDb, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
    demoCounts[name] = rowsOf(demoDb, `SELECT count(*) FROM "${name}"`)[0][0];
  }
  const demoOwner = rowsOf(demoDb, 'SELECT package_id, package_owner_name FROM package_data')[0];

  return {
    id,
    steps,
    iv: blob.iv,
    ttl: blob.ttl,
    urlHasKey: blob.url.includes(key) || blob.url.includes(encodeURIComponent(key)),
    sizes: { sealed: sealed.byteLength, gzip: plain.length, sqlite: sqlite.length },
    tables,
    answers,
    otherKey,
    demo: { iv: demoBlob.iv, counts: demoCounts, owner: demoOwner },
  };
}

/** Opens a page on the manager's origin (or another) and runs dumpusClient there. */
async function openInBrowser(browser, server, pkg, expected, key, link) {
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.log(`  page error: ${err.message}`));
  page.on('console', (message) => message.type() === 'error' && console.log(`  page console: ${message.text()}`));
  const origin = CROSS_ORIGIN ? pkg.origin : server.url;
  if (!CROSS_ORIGIN) {
    await page.route(`${origin}${ASSET_PREFIX}**`, (route) => {
      const found = asset(new URL(route.request().url()).pathname);
      return route.fulfill(found ? { contentType: found[0], body: found[1] } : { status: 404, body: '' });
    });
  }
  await page.goto(`${origin}${ASSET_PREFIX}index.html`);
  const loaded = await page.evaluate(() => typeof pako?.inflate === 'function' && typeof initSqlJs === 'function');
  assert(loaded, 'pako or sql.js did not load in the page');
  console.log(`page at ${origin} (${CROSS_ORIGIN ? 'not ' : ''}the manager's origin); submitting ${link}`);
  return page.evaluate(dumpusClient, {
    api: server.url,
    link,
    key,
    expected: expected.tables,
    queries: QUERIES,
    timeoutMs: TOTAL_TIMEOUT_MS - 30_000,
    assets: `${origin}${ASSET_PREFIX}`,
  });
}

const sortedRows = (rows) => rows.map((row) => JSON.stringify(row)).sort();
const short = (value) => JSON.stringify(value).slice(0, 300);

/** Every way what the page found differs from what it should be, as messages. */
function problemsOf(found, expected, key, downloads) {
  const problems = [];
  const names = Object.keys(expected.tables).sort();
  const foundNames = Object.keys(found.tables).sort();
  if (names.join() !== foundNames.join()) problems.push(`tables ${foundNames.join(', ')}; expected ${names.join(', ')}`);
  for (const name of names) {
    if (!found.tables[name]) continue;
    const rows = expected.tables[name].map((row) => (name === 'package_data' ? [found.id, ...row.slice(1)] : row));
    const [got, want] = [sortedRows(found.tables[name]), sortedRows(rows)];
    if (got.length !== want.length) problems.push(`${name}: ${got.length} rows, expected ${want.length}`);
    const at = want.findIndex((row, i) => row !== got[i]);
    if (at >= 0) problems.push(`${name}: sorted row ${at} is ${got[at]}, expected ${want[at]}`);
  }
  for (const { name, got, want } of found.answers) {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      const at = Array.isArray(got) ? want.findIndex((row, i) => short(row) !== short(got[i])) : -1;
      const where = at >= 0 ? `row ${at} is ${short(got[at])}, expected ${short(want[at])}` : `${short(got)}`;
      problems.push(`query "${name}": ${where} (${got.length ?? 'no'} rows, expected ${want.length})`);
    } else if (!want.length) {
      problems.push(`query "${name}" answers nothing on the expected rows: a vacuous check`);
    }
  }
  const nonEmpty = names.filter((name) => found.tables[name]?.length && found.tables[name].length === expected.counts[name]);
  if (nonEmpty.length < 5) problems.push(`only ${nonEmpty.length} tables are non-empty and as expected`);

  const md5 = createHash('md5').update(key).digest('hex');
  if (found.id !== md5) problems.push(`packageId ${found.id}, expected MD5(key) ${md5}`);
  if (found.steps.at(-1) !== 'PROCESSED') problems.push(`last step ${found.steps.at(-1)}`);
  if (found.urlHasKey) problems.push('the /blob url carries the key, where a ticket should stand in for it');
  if (downloads !== 1) problems.push(`the package was downloaded ${downloads} times, expected once`);
  if (found.otherKey === 'opened') problems.push('another key opened the result');

  const { iv, counts, owner } = found.demo;
  if (iv !== null) problems.push(`demo iv ${iv}, expected null`);
  if (short(owner) !== '["demo","wumpus"]') problems.push(`demo package_data ${short(owner)}`);
  for (const [name, rows] of Object.entries(DEMO_ROWS)) {
    if (counts[name] !== rows) problems.push(`demo ${name}: ${counts[name]} rows, expected ${rows}`);
  }
  if (!(counts.activity > 0 && counts.voice_sessions > 0)) problems.push(`demo tables ${short(counts)}`);
  return problems;
}

async function main() {
  const started = Date.now();
  const dir = tempDir('cordvault-dumpus-');
  let server;
  let browser;
  let pkg;
  let timer;
  try {
    const urlPath = `/packages/dumpus-e2e-${SEED}.zip`;
    const expected = generatePackage(join(dir, 'package.zip'), join(dir, 'expected.json'));
    pkg = await servePackage(join(dir, 'package.zip'), urlPath);
    const link = `${pkg.origin}${urlPath}`;
    // An allow-listed link's key: the base64 of its path, without the slashes around it.
    const key = Buffer.from(urlPath.replace(/^\/+|\/+$/g, '')).toString('base64');
    server = await startServer({ extraEnv: { PACKAGE_LINK_ALLOWLIST: `${pkg.origin}/` }, logName: LOG_NAME });
    console.log(`dumpus e2e: server ${serverBin} at ${server.url}; seed ${SEED}, ${LAYOUT} layout`);
    browser = await launchBrowser();
    const overall = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`dumpus e2e exceeded ${TOTAL_TIMEOUT_MS / 1000} s`)), TOTAL_TIMEOUT_MS);
    });
    const found = await Promise.race([openInBrowser(browser, server, pkg, expected, key, link), overall]);

    const { sizes, demo } = found;
    const tableCounts = Object.entries(found.tables).map(([name, rows]) => `${name} ${rows.length}`);
    console.log(`steps ${found.steps.join(' → ')}; /blob iv ${found.iv}, ttl ${found.ttl} s`);
    console.log(`sealed ${sizes.sealed} B → gzip ${sizes.gzip} B → SQLite ${sizes.sqlite} B: ${tableCounts.join(', ')}`);
    console.log(`${found.answers.length} client queries on the result and the expected rows; another key: ${found.otherKey}`);
    console.log(`demo: iv ${demo.iv}, ${Object.entries(demo.counts).map(([name, n]) => `${name} ${n}`).join(', ')}`);
    const problems = problemsOf(found, expected, key, pkg.downloads.count);
    if (problems.length) {
      console.error(`\ndumpus e2e FAILED:\n- ${problems.join('\n- ')}`);
      process.exitCode = 1;
    } else {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`dumpus e2e passed in ${seconds} s: every table's rows as the generator made them`);
    }
  } catch (err) {
    console.error(`\ndumpus e2e FAILED: ${err.message}\n${(err.cause || err).stack || ''}`);
    if (server) console.error(`\n--- server log (tail) ---\n${server.logTail()}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    pkg?.http.closeAllConnections();
    pkg?.http.close();
    removeDir(dir);
    console.log(`server log: ${join(artifactsDir, LOG_NAME)}`);
  }
}

await main();
