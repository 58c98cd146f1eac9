// Builds dist/: index.html, app.js, hash-worker.js, app.css and favicon.svg,
// nothing else.
// The output must be byte-for-byte reproducible (CI rebuilds and compares):
// no source maps, no timestamps, no absolute paths.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(web, "dist");
const outputs = ["index.html", "app.js", "hash-worker.js", "app.css", "favicon.svg"];

mkdirSync(dist, { recursive: true });
for (const name of readdirSync(dist)) {
  if (!outputs.includes(name)) rmSync(join(dist, name), { recursive: true, force: true });
}

const common = {
  absWorkingDir: web,
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: "none",
  charset: "utf8",
  target: ["es2022", "chrome111", "firefox111", "safari16.4"],
  logLevel: "warning",
};
await build({ ...common, entryPoints: ["src/main.ts"], outfile: "dist/app.js", format: "esm" });
// A classic worker script (an IIFE): module workers came to Firefox only in 114.
await build({ ...common, entryPoints: ["src/hash-worker.ts"], outfile: "dist/hash-worker.js", format: "iife" });
// The favicon is served beside app.css; the URL stays as written.
await build({ ...common, entryPoints: ["src/style.css"], outfile: "dist/app.css", external: ["/favicon.svg"] });
copyFileSync(join(web, "src/index.html"), join(dist, "index.html"));
copyFileSync(join(web, "src/favicon.svg"), join(dist, "favicon.svg"));
