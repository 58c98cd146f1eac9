// TransferService.PutChunk with the chunk taken straight from the File.
//
// The generic client would need the chunk as bytes in JavaScript
// (file.slice().arrayBuffer()), then copies it twice more (protobuf, gRPC-web
// envelope), and Chromium sends ArrayBuffer request bodies several times
// slower than Blob bodies (measured on loopback: ~8 MB/s against >100 MB/s).
// Here the request body is a Blob made of a few header bytes and the file
// slice itself, so the browser streams the chunk from disk and no JavaScript
// copy is made. Protobuf allows this: a message is the concatenation of its
// fields, so the data field can follow the others as raw bytes.

import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  requestHeader,
  trailerFlag,
  trailerParse,
  validateResponse,
  validateTrailer,
} from "@connectrpc/connect/protocol-grpc-web";

export interface ChunkTarget {
  /** Server or upload-worker address. */
  baseUrl: string;
  /** Bearer token: the session token, or the upload token at a worker. */
  token: string;
}

export async function putChunk(
  target: ChunkTarget,
  uploadId: string,
  index: number,
  chunk: Blob,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  // PutChunkRequest { upload_id = 1; chunk_index = 2; data = 3 }, up to the data's first byte.
  const fields = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .string(uploadId)
    .tag(2, WireType.Varint)
    .uint64(index)
    .tag(3, WireType.LengthDelimited)
    .uint32(chunk.size)
    .finish();
  // gRPC-web envelope: flags byte 0, then the message length (big-endian).
  const head = new Uint8Array(5 + fields.length);
  new DataView(head.buffer).setUint32(1, fields.length + chunk.size);
  head.set(fields, 5);

  const headers = requestHeader(true, timeoutMs, { authorization: `Bearer ${target.token}` }, false);
  const response = await fetch(`${target.baseUrl}/cordvault.v1.TransferService/PutChunk`, {
    method: "POST",
    headers,
    body: new Blob([head, chunk]),
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    redirect: "error",
  }).catch((err: unknown) => {
    if (signal.aborted) throw new ConnectError("cancelled", Code.Canceled);
    throw ConnectError.from(err, Code.Unavailable);
  });
  const { headerError } = validateResponse(response.status, response.headers);
  // The answer is small: one PutChunkResponse frame and the trailer frame.
  const body = new Uint8Array(await response.arrayBuffer());
  let trailer: Headers | undefined;
  for (let offset = 0; offset + 5 <= body.length; ) {
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    if ((body[offset] & trailerFlag) === trailerFlag) trailer = trailerParse(body.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  if (trailer === undefined) {
    // A trailers-only answer carries the status in the HTTP headers.
    if (headerError) throw headerError;
    if (response.headers.has("grpc-status")) return;
    throw new ConnectError("protocol error: missing trailer", Code.Unknown);
  }
  validateTrailer(trailer, response.headers);
}
