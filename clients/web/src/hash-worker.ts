// The hash worker's entry (dist/hash-worker.js): answers each File it is
// sent with its SHA-256 (see hash.ts for why this runs off the main thread).

import { type HashReply, hashFile } from "./hash";

addEventListener("message", (event: MessageEvent<Blob>) => {
  hashFile(event.data).then(
    (sha256): void => postMessage({ sha256 } satisfies HashReply),
    (err: unknown): void => postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies HashReply),
  );
});
