// Live updates: FileService.Watch is a server stream (fine over gRPC-web).
// When it ends or fails, it is opened again after a growing pause.

import { Code, ConnectError } from "@connectrpc/connect";
import { api } from "./api";
import { sleep } from "./dom";
import type { WatchResponse } from "./gen/cordvault/v1/file_pb";

const FIRST_PAUSE_MS = 1000;
const MAX_PAUSE_MS = 30_000;
/** A stream that lived this long was healthy: start over with short pauses. */
const HEALTHY_MS = 30_000;

/**
 * Watches `path` until the returned function is called. `resync` runs when
 * the stream opens again after a break, since events may have been missed.
 */
export function watchFolder(path: string, onEvent: (event: WatchResponse) => void, resync: () => void): () => void {
  const stop = new AbortController();
  void (async () => {
    let pause = FIRST_PAUSE_MS;
    for (let attempt = 0; !stop.signal.aborted; attempt++) {
      if (attempt > 0) resync();
      const openedAt = Date.now();
      try {
        for await (const event of api().files.watch({ path }, { signal: stop.signal })) {
          pause = FIRST_PAUSE_MS;
          onEvent(event);
        }
      } catch (err) {
        if (stop.signal.aborted) return;
        // Signed out (the API layer already redirects) or the folder is gone.
        if (err instanceof ConnectError && [Code.Unauthenticated, Code.NotFound, Code.PermissionDenied].includes(err.code)) {
          return;
        }
      }
      if (Date.now() - openedAt > HEALTHY_MS) pause = FIRST_PAUSE_MS;
      await sleep(pause, stop.signal);
      pause = Math.min(MAX_PAUSE_MS, pause * 2);
    }
  })();
  return () => stop.abort();
}
