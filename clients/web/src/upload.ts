// Uploads: the chunk scheduler, hashing and the resume state.
//
// Per file: StartUpload (path, size), QueryUpload to learn which chunks the
// server already holds, PutChunk for the missing ones with CHUNKS_IN_FLIGHT
// requests in flight, each retried with backoff, then CommitUpload with the
// SHA-256 of the whole content. The hash is computed in a worker while the
// chunks go out rather than before, so it costs little time. localStorage
// remembers the session of each unfinished upload: picking the same file
// again (same path, size and modification time) resumes it by its id, even
// after a reload.

import { Code, ConnectError } from "@connectrpc/connect";
import { api, errorText, getToken, isCode, reportUnauthenticated, serverAddress } from "./api";
import { ConflictPolicy, type Entry } from "./gen/cordvault/v1/common_pb";
import type { StartUploadResponse } from "./gen/cordvault/v1/transfer_pb";
import { type ChunkTarget, putChunk } from "./put-chunk";
import { sleep } from "./dom";
import { joinPath, parentPath } from "./format";
import { hashFileInWorker } from "./hash";

// Chromium opens at most 6 HTTP/1.1 connections to a server and the Watch
// stream holds one: 5 chunks fill the rest. With 4 a lane sits idle while the
// server syncs its chunk; with more they queue (upload-bench.mjs on two
// cores, series medians: 4 in flight 101-110 MB/s, 5 107-115, 8 105-108).
const CHUNKS_IN_FLIGHT = 5;
/** Files uploading at the same time (small files gain from overlap). */
const FILES_IN_FLIGHT = 3;
const CHUNK_RETRIES = 3;
const CHUNK_TIMEOUT_MS = 120_000;
const RECORDS_KEY = "cordvault.uploads";
const RECORD_LIFETIME_MS = 7 * 24 * 3600 * 1000;

export type UploadState = "queued" | "uploading" | "committing" | "done" | "error" | "skipped";
export type ConflictChoice = "overwrite" | "rename" | "skip";
export interface ConflictAnswer {
  choice: ConflictChoice;
  applyAll: boolean;
}

/** A file from a picker or a drop, with its path relative to the target folder. */
export interface PickedFile {
  file: File;
  relativePath: string;
}

/** What localStorage keeps about an unfinished upload. */
export interface UploadRecord {
  server: string;
  path: string;
  name: string;
  size: number;
  lastModified: number;
  uploadId: string;
  startedAtMs: number;
}

export interface UploadItem {
  readonly id: number;
  readonly file: File;
  /** The path relative to the folder it was dropped on, e.g. "pics/a.png". */
  readonly name: string;
  /** Where it goes on the server. */
  readonly path: string;
  state: UploadState;
  /** True until the scheduler starts it. */
  waiting: boolean;
  /** Bytes the server holds durably. */
  sent: number;
  /** Bytes per second over this run's chunks. */
  speed: number;
  resumed: boolean;
  message: string;
  entry?: Entry;
  batch: Batch;
  abort?: AbortController;
  uploadId?: string;
  sha256?: string;
  policy?: ConflictPolicy;
}

/** The files of one pick or drop: they share the "apply to all" conflict answer. */
interface Batch {
  folder: string;
  policy?: ConflictPolicy;
  skipAll?: boolean;
  folders: Map<string, Promise<void>>;
}

export interface UploaderHooks {
  askConflict(item: UploadItem): Promise<ConflictAnswer>;
  committed(entry: Entry): void;
}

let nextId = 1;

export class Uploader {
  readonly items: UploadItem[] = [];
  private readonly listeners = new Set<() => void>();
  private active = 0;
  private hashLock: Promise<unknown> = Promise.resolve();
  private conflictLock: Promise<unknown> = Promise.resolve();

  constructor(private readonly hooks: UploaderHooks) {}

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Queues files for `folder`; `emptyFolders` (relative) are created too. */
  add(folder: string, files: PickedFile[], emptyFolders: string[] = []): void {
    const batch: Batch = { folder, folders: new Map() };
    for (const dir of emptyFolders) {
      this.ensureFolder(batch, joinPath(folder, dir)).catch(() => {});
    }
    for (const { file, relativePath } of files) this.queue(file, relativePath, joinPath(folder, relativePath), batch);
    this.changed();
    this.pump();
  }

  /** Queues the file the user picked for an unfinished upload of an earlier visit. */
  resume(record: UploadRecord, file: File): void {
    this.queue(file, record.name, record.path, { folder: parentPath(record.path), folders: new Map() });
    this.changed();
    this.pump();
  }

  private queue(file: File, name: string, path: string, batch: Batch): void {
    this.items.push({
      id: nextId++,
      file,
      name,
      path,
      state: "queued",
      waiting: true,
      sent: 0,
      speed: 0,
      resumed: false,
      message: "",
      batch,
    });
  }

  retry(item: UploadItem): void {
    if (item.state !== "error") return;
    Object.assign(item, { state: "queued", waiting: true, message: "", speed: 0 });
    this.changed();
    this.pump();
  }

  /** Stops an upload and drops its server session. */
  async cancel(item: UploadItem): Promise<void> {
    if (item.state === "done" || item.state === "skipped") return;
    item.abort?.abort();
    const wasWaiting = item.waiting;
    Object.assign(item, { state: "error", waiting: false, message: "Cancelled" });
    this.changed();
    if (wasWaiting || !item.uploadId) return;
    removeRecord(item.path);
    await api().transfer.abortUpload({ uploadId: item.uploadId }).catch(() => {});
  }

  clearFinished(): void {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const state = this.items[i].state;
      if (state === "done" || state === "skipped" || (state === "error" && !this.items[i].abort)) this.items.splice(i, 1);
    }
    this.changed();
  }

  /** Starts queued items while fewer than FILES_IN_FLIGHT run. */
  private pump(): void {
    while (this.active < FILES_IN_FLIGHT) {
      const item = this.items.find((candidate) => candidate.waiting);
      if (!item) return;
      item.waiting = false;
      this.active++;
      this.run(item).finally(() => {
        this.active--;
        this.changed();
        this.pump();
      });
    }
  }

  private async run(item: UploadItem): Promise<void> {
    const abort = new AbortController();
    item.abort = abort;
    try {
      await this.ensureFolder(item.batch, parentPath(item.path));
      // StartUpload (and a conflict question) belong to the upload step.
      item.state = "uploading";
      this.changed();
      const started = await this.start(item);
      if (!started || abort.signal.aborted) return;
      const hashed = this.hash(item, abort.signal);
      hashed.catch(() => {}); // awaited before the commit; a failure shows there
      await this.transfer(item, started, abort.signal);
      if (abort.signal.aborted) return;
      item.state = "committing";
      this.changed();
      item.sha256 = await hashed;
      const committed = await api().transfer.commitUpload(
        { uploadId: started.uploadId, sha256: item.sha256 },
        { signal: abort.signal },
      );
      removeRecord(item.path);
      item.state = "done";
      item.entry = committed.entry;
      if (committed.entry) this.hooks.committed(committed.entry);
    } catch (err) {
      if (abort.signal.aborted) return; // cancel() has set the state already
      item.state = "error";
      item.message = errorText(err);
    } finally {
      item.abort = undefined;
      this.changed();
    }
  }

  /** Creates a folder and its parents below the batch's folder, once per batch. */
  private ensureFolder(batch: Batch, path: string): Promise<void> {
    if (path === batch.folder || path === "/") return Promise.resolve();
    let made = batch.folders.get(path);
    if (!made) {
      // Parent first: two siblings must not race to create the same parent.
      made = this.ensureFolder(batch, parentPath(path))
        .then(async () => {
          await api().files.createFolder({ path });
        })
        .catch((err: unknown) => {
          batch.folders.delete(path); // a retry tries again
          throw err;
        });
      batch.folders.set(path, made);
    }
    return made;
  }

  /** SHA-256 hex of the file; one file hashes at a time (it is CPU and memory bound). */
  private hash(item: UploadItem, signal: AbortSignal): Promise<string> {
    if (item.sha256) return Promise.resolve(item.sha256);
    const run = this.hashLock.then(() => hashFileInWorker(item.file, signal));
    this.hashLock = run.catch(() => {});
    return run;
  }

  /** StartUpload, asking the user what to do when the name is taken. Undefined when skipped. */
  private async start(item: UploadItem): Promise<StartUploadResponse | undefined> {
    const { batch } = item;
    item.policy = batch.policy ?? ConflictPolicy.FAIL;
    for (;;) {
      if (item.policy === ConflictPolicy.FAIL && batch.skipAll) return this.skip(item);
      try {
        const started = await startOrResume(item);
        item.uploadId = started.uploadId;
        item.resumed = started.resumed;
        saveRecord({
          server: serverAddress(),
          path: item.path,
          name: item.name,
          size: item.file.size,
          lastModified: item.file.lastModified,
          uploadId: started.uploadId,
          startedAtMs: Date.now(),
        });
        this.changed();
        return started;
      } catch (err) {
        if (!isCode(err, Code.AlreadyExists) || item.policy !== ConflictPolicy.FAIL) throw err;
        const answer = await this.askConflict(item);
        if (answer.choice === "skip") {
          if (answer.applyAll) batch.skipAll = true;
          return this.skip(item);
        }
        item.policy = answer.choice === "overwrite" ? ConflictPolicy.OVERWRITE : ConflictPolicy.RENAME;
        if (answer.applyAll) batch.policy = item.policy;
      }
    }
  }

  /**
   * QueryUpload, then PutChunk for every missing chunk. When chunks go to an
   * upload worker that fails, StartUpload again: it resumes the same session
   * and may route it to another worker.
   */
  private async transfer(item: UploadItem, started: StartUploadResponse, signal: AbortSignal): Promise<void> {
    for (let pass = 1; ; pass++) {
      const state = await api().transfer.queryUpload({ uploadId: started.uploadId }, { signal });
      const durable = new Set(state.durableChunks.map(Number));
      const missing: number[] = [];
      for (let index = 0; index < Number(state.chunkCount); index++) if (!durable.has(index)) missing.push(index);
      const target: ChunkTarget = started.uploadEndpoint
        ? { baseUrl: started.uploadEndpoint.replace(/\/+$/, ""), token: started.uploadToken }
        : { baseUrl: serverAddress(), token: getToken() };
      try {
        await this.sendChunks(item, target, started.uploadId, Number(state.chunkSize), missing, signal);
        return;
      } catch (err) {
        if (!started.uploadEndpoint || pass >= 3 || signal.aborted || !retryable(err)) throw err;
        started = await startUpload(item, started.uploadId);
      }
    }
  }

  /** Sends `missing` chunks, CHUNKS_IN_FLIGHT at a time; the first failure stops the others. */
  private async sendChunks(
    item: UploadItem,
    target: ChunkTarget,
    uploadId: string,
    chunkSize: number,
    missing: number[],
    signal: AbortSignal,
  ): Promise<void> {
    const size = item.file.size;
    const chunkLength = (index: number) => Math.min(chunkSize, size - index * chunkSize);
    item.sent = size - missing.reduce((sum, index) => sum + chunkLength(index), 0);
    this.changed();
    const sentBefore = item.sent;
    const startedAt = performance.now();
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener("abort", onAbort);
    let next = 0;
    const lane = async () => {
      while (next < missing.length && !stop.signal.aborted) {
        const index = missing[next++];
        const offset = index * chunkSize;
        const chunk = item.file.slice(offset, offset + chunkLength(index));
        await putChunkWithRetries(target, uploadId, index, chunk, stop.signal);
        item.sent += chunk.size;
        item.speed = (item.sent - sentBefore) / Math.max(0.001, (performance.now() - startedAt) / 1000);
        this.changed();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, missing.length) }, lane));
    } catch (err) {
      stop.abort();
      throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  private skip(item: UploadItem): undefined {
    item.state = "skipped";
    item.message = "Skipped: the name is taken";
    return undefined;
  }

  /** One conflict dialog at a time; an "apply to all" answer given meanwhile is reused. */
  private askConflict(item: UploadItem): Promise<ConflictAnswer> {
    const asked = this.conflictLock.then((): ConflictAnswer | Promise<ConflictAnswer> => {
      const { batch } = item;
      if (batch.skipAll) return { choice: "skip", applyAll: true };
      if (batch.policy === ConflictPolicy.OVERWRITE) return { choice: "overwrite", applyAll: true };
      if (batch.policy === ConflictPolicy.RENAME) return { choice: "rename", applyAll: true };
      return this.hooks.askConflict(item);
    });
    this.conflictLock = asked.catch(() => {});
    return asked;
  }
}

/** StartUpload without a hash (it comes at commit); resumes `resumeUploadId` when given and still live. */
function startUpload(item: UploadItem, resumeUploadId = ""): Promise<StartUploadResponse> {
  return api().transfer.startUpload({
    path: item.path,
    size: BigInt(item.file.size),
    conflictPolicy: item.policy,
    mimeType: item.file.type,
    resumeUploadId,
  });
}

/**
 * StartUpload, resuming the session this file's record names. A record that
 * no longer fits its session (the folder was replaced, say) is dropped and a
 * new session starts.
 */
async function startOrResume(item: UploadItem): Promise<StartUploadResponse> {
  const resumeId = findRecord(item.path, item.file)?.uploadId;
  if (!resumeId) return startUpload(item);
  try {
    return await startUpload(item, resumeId);
  } catch (err) {
    if (!isCode(err, Code.InvalidArgument)) throw err;
    removeRecord(item.path);
    return startUpload(item);
  }
}

/** One PutChunk with CHUNK_RETRIES retries after transient failures, with growing pauses. */
async function putChunkWithRetries(
  target: ChunkTarget,
  uploadId: string,
  index: number,
  chunk: Blob,
  signal: AbortSignal,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await putChunk(target, uploadId, index, chunk, signal, CHUNK_TIMEOUT_MS);
      return;
    } catch (err) {
      // The session token (not a worker's upload token) was refused: signed out.
      if (isCode(err, Code.Unauthenticated) && target.token === getToken()) reportUnauthenticated();
      if (signal.aborted || attempt >= CHUNK_RETRIES || !retryable(err)) throw err;
      await sleep(500 * 2 ** attempt, signal);
    }
  }
}

/**
 * Failures that may pass: the network, an overloaded or restarting server.
 * Exactly what the Rust SDK retries (`cordvault_core::status::code_of_grpc`
 * and `ErrorCode::is_retryable`): UNAVAILABLE and RESOURCE_EXHAUSTED, and
 * what a transport says of a call that may not have run.
 */
function retryable(err: unknown): boolean {
  if (!(err instanceof ConnectError)) return true;
  return [Code.Unavailable, Code.ResourceExhausted, Code.Unknown, Code.Canceled, Code.DeadlineExceeded, Code.Aborted].includes(
    err.code,
  );
}

// Resume state in localStorage.

function loadRecords(): UploadRecord[] {
  try {
    const records = JSON.parse(localStorage.getItem(RECORDS_KEY) ?? "[]") as UploadRecord[];
    // Server sessions expire when idle long before this.
    return records.filter((r) => Date.now() - r.startedAtMs < RECORD_LIFETIME_MS);
  } catch {
    return [];
  }
}

function storeRecords(records: UploadRecord[]): void {
  if (records.length) localStorage.setItem(RECORDS_KEY, JSON.stringify(records));
  else localStorage.removeItem(RECORDS_KEY);
}

function saveRecord(record: UploadRecord): void {
  storeRecords([...loadRecords().filter((r) => r.server !== record.server || r.path !== record.path), record]);
}

function removeRecord(path: string): void {
  const server = serverAddress();
  storeRecords(loadRecords().filter((r) => r.server !== server || r.path !== path));
}

/** The record of an unfinished upload of this very file (same path, size and modification time). */
function findRecord(path: string, file: File): UploadRecord | undefined {
  const server = serverAddress();
  return loadRecords().find(
    (r) => r.server === server && r.path === path && r.size === file.size && r.lastModified === file.lastModified,
  );
}

/** Unfinished uploads of this server from earlier page loads. */
export function unfinishedUploads(): UploadRecord[] {
  const server = serverAddress();
  return loadRecords().filter((r) => r.server === server);
}

/** Forgets an unfinished upload and drops its server session. */
export async function dismissUnfinished(record: UploadRecord): Promise<void> {
  removeRecord(record.path);
  await api().transfer.abortUpload({ uploadId: record.uploadId }).catch(() => {});
}
