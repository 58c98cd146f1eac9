// Regenerates src/gen from proto/ with protoc-gen-es only. The repository's
// buf.gen.yaml also runs the Python plugin, which the web build must not need,
// so the template is given inline here.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(web, "../..");
const pinnedBuf = join(root, ".ci/tools/node_modules/.bin/buf");
const buf = existsSync(pinnedBuf) ? pinnedBuf : "buf";

const template = {
  version: "v2",
  clean: true,
  // cordvault.worker.v1 is the workers' internal API (it carries data keys):
  // browsers never call it.
  inputs: [{ directory: "proto", exclude_paths: ["proto/cordvault/worker"] }],
  plugins: [
    {
      local: "clients/web/node_modules/.bin/protoc-gen-es",
      out: "clients/web/src/gen",
      opt: "target=ts",
      include_imports: false,
    },
  ],
};

execFileSync(buf, ["generate", "--template", JSON.stringify(template)], { cwd: root, stdio: "inherit" });
