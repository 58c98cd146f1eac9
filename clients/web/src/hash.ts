// SHA-256 of a whole file, for CommitUpload.
//
// Uploads hash in a worker (dist/hash-worker.js). Reading 200 MiB into an
// ArrayBuffer and digesting it is most of a second of CPU; on the page's
// main thread it held back the handling of every finished PutChunk, and a
// 200 MiB upload ran about 10% slower on two cores (upload-bench.mjs).

import { Sha256 } from "./sha256";

/** Above this, hash incrementally instead of reading the whole file into memory. */
const WHOLE_FILE_HASH_LIMIT = 1 << 30;
const HASH_SLICE = 4 << 20;
const WORKER_URL = "/hash-worker.js";

/** What the worker answers. */
export interface HashReply {
  sha256?: string;
  error?: string;
}

/** SHA-256 hex of a whole file, in this thread. */
export async function hashFile(file: Blob): Promise<string> {
  // crypto.subtle only exists in secure contexts (https, localhost).
  if (globalThis.crypto?.subtle && file.size <= WHOLE_FILE_HASH_LIMIT) {
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  const sha = new Sha256();
  for (let offset = 0; offset < file.size; offset += HASH_SLICE) {
    const slice = new Uint8Array(await file.slice(offset, offset + HASH_SLICE).arrayBuffer());
    sha.update(slice);
  }
  return sha.hex();
}

/**
 * SHA-256 hex of a whole file, computed in a worker; `signal` stops it. A
 * worker that cannot start (its script failed to load) leaves the work to
 * this thread rather than failing the upload.
 */
export function hashFileInWorker(file: Blob, signal: AbortSignal): Promise<string> {
  if (signal.aborted) return Promise.reject(new DOMException("hashing cancelled", "AbortError"));
  if (typeof Worker === "undefined") return hashFile(file);
  return new Promise<string>((resolve, reject) => {
    const worker = new Worker(WORKER_URL);
    const onAbort = () => {
      worker.terminate();
      reject(new DOMException("hashing cancelled", "AbortError"));
    };
    const finish = () => {
      worker.terminate();
      signal.removeEventListener("abort", onAbort);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<HashReply>) => {
      finish();
      const { sha256, error } = event.data;
      if (sha256) resolve(sha256);
      else reject(new Error(error ?? "hashing failed"));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      finish();
      hashFile(file).then(resolve, reject);
    };
    worker.postMessage(file);
  });
}
