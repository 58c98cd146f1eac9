// How the app talks to the server: gRPC-web transports and clients, the
// bearer-token interceptor, readable error texts and the plain HTTP URLs
// (downloads, zips, thumbnails, share links).

import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AdminService } from "./gen/cordvault/v1/admin_pb";
import { AuthService, TicketPurpose } from "./gen/cordvault/v1/auth_pb";
import { FileService } from "./gen/cordvault/v1/file_pb";
import { LinkService } from "./gen/cordvault/v1/link_pb";
import { TransferService } from "./gen/cordvault/v1/transfer_pb";

const TOKEN_KEY = "cordvault.token";
const SERVER_KEY = "cordvault.server";

export function getToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  thumbnailTicket = undefined;
}

/** The server the UI talks to: the page's own origin unless the user picked another. */
export function serverAddress(): string {
  return localStorage.getItem(SERVER_KEY) || location.origin;
}

export function setServerAddress(address: string): void {
  const trimmed = address.trim().replace(/\/+$/, "");
  if (!trimmed || trimmed === location.origin) localStorage.removeItem(SERVER_KEY);
  else localStorage.setItem(SERVER_KEY, /^https?:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`);
  cached = undefined;
}

/** Called when the server refuses our token; main.ts sends the user to /login. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

/** Calls that legitimately fail with UNAUTHENTICATED while logged out. */
const LOGIN_METHODS = new Set(["Login", "Register"]);

function bearer(token: () => string): Interceptor {
  return (next) => async (req) => {
    const value = token();
    if (value) req.header.set("authorization", `Bearer ${value}`);
    return next(req);
  };
}

/** Notices a refused token on any call but the login ones. */
const sessionGuard: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    if (isCode(err, Code.Unauthenticated) && !LOGIN_METHODS.has(req.method.name)) onUnauthenticated();
    throw err;
  }
};

function makeTransport(baseUrl: string, token: () => string): Transport {
  return createGrpcWebTransport({ baseUrl, useBinaryFormat: true, interceptors: [sessionGuard, bearer(token)] });
}

export interface Api {
  auth: Client<typeof AuthService>;
  files: Client<typeof FileService>;
  transfer: Client<typeof TransferService>;
  links: Client<typeof LinkService>;
  admin: Client<typeof AdminService>;
}

let cached: { server: string; api: Api } | undefined;

/** Clients for the current server address (rebuilt when it changes). */
export function api(): Api {
  const server = serverAddress();
  if (cached?.server !== server) {
    const transport = makeTransport(server, getToken);
    cached = {
      server,
      api: {
        auth: createClient(AuthService, transport),
        files: createClient(FileService, transport),
        transfer: createClient(TransferService, transport),
        links: createClient(LinkService, transport),
        admin: createClient(AdminService, transport),
      },
    };
  }
  return cached.api;
}

/** Reports a refused token seen outside the generic clients (chunk uploads). */
export function reportUnauthenticated(): void {
  onUnauthenticated();
}

export function isCode(err: unknown, code: Code): boolean {
  return err instanceof ConnectError && err.code === code;
}

const CODE_TEXT: Partial<Record<Code, string>> = {
  [Code.Canceled]: "Cancelled",
  [Code.InvalidArgument]: "Invalid request",
  [Code.DeadlineExceeded]: "Timed out",
  [Code.NotFound]: "Not found",
  [Code.AlreadyExists]: "Already exists",
  [Code.PermissionDenied]: "Permission denied",
  [Code.ResourceExhausted]: "Limit reached",
  [Code.FailedPrecondition]: "Not possible now",
  [Code.Aborted]: "Aborted",
  [Code.OutOfRange]: "Out of range",
  [Code.Unimplemented]: "Not supported by this server",
  [Code.Internal]: "Server error",
  [Code.Unavailable]: "Server unavailable",
  [Code.DataLoss]: "Data loss",
  [Code.Unauthenticated]: "Not logged in",
};

/** A sentence for the user: what kind of failure, then the server's own words. */
export function errorText(err: unknown): string {
  if (err instanceof ConnectError) {
    const raw = err.rawMessage;
    if (/failed to fetch|networkerror|load failed/i.test(raw)) return `Cannot reach the server at ${serverAddress()}`;
    const kind = CODE_TEXT[err.code] ?? "Error";
    return raw ? `${kind}: ${raw}` : kind;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * A URL on the server's plain HTTP side. Relative when the server is the
 * page's origin, so that links stay short and survive a change of host name.
 */
export function httpUrl(path: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  const server = serverAddress();
  const base = server === location.origin ? "" : server;
  return `${base}${path}${query ? `?${query}` : ""}`;
}

/*
 * The login token never goes into a URL (history, proxies and logs keep
 * URLs): each download asks for a ticket good for that one path for two
 * minutes, and thumbnails share a ticket good only for thumbnails.
 */

async function ticket(purpose: TicketPurpose, path = ""): Promise<string> {
  return (await api().auth.createDownloadTicket({ purpose, path })).ticket;
}

export async function downloadUrl(path: string): Promise<string> {
  return httpUrl("/download", { path, ticket: await ticket(TicketPurpose.DOWNLOAD, path) });
}

export async function zipUrl(path: string): Promise<string> {
  return httpUrl("/bulk-download", { path, ticket: await ticket(TicketPurpose.ZIP, path) });
}

let thumbnailTicket: { ticket: string; expiresAt: number } | undefined;

/** Fetches a thumbnails ticket, unless the one held lasts another two minutes. */
export async function prepareThumbnails(): Promise<void> {
  if (thumbnailTicket && thumbnailTicket.expiresAt - Date.now() > 120_000) return;
  const response = await api().auth.createDownloadTicket({ purpose: TicketPurpose.THUMBNAILS });
  thumbnailTicket = { ticket: response.ticket, expiresAt: Number(response.expiresAtMs) };
}

/** A thumbnail's address; call {@link prepareThumbnails} first. */
export function thumbnailUrl(id: bigint): string {
  return httpUrl(`/thumbnail/${id}`, { ticket: thumbnailTicket?.ticket ?? "" });
}

/** The absolute address of a share link, to paste anywhere. */
export function linkUrl(urlPath: string): string {
  return serverAddress() + urlPath;
}

/** Starts a browser download by following a hidden <a download>. */
export function startDownload(url: string): void {
  const a = document.createElement("a");
  a.href = url;
  a.download = "";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
}
