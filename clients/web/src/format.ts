// Formatting of sizes and dates, and path arithmetic for "/a/b/c" paths.

export function formatBytes(n: number | bigint): string {
  let value = Number(n);
  if (value < 1024) return `${value} B`;
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Megabytes (10^6) per second, as network speeds are usually given. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

export function formatDate(ms: number | bigint): string {
  const value = Number(ms);
  if (!value) return "—";
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Joins a folder path and a relative path ("a/b"); the result starts with "/". */
export function joinPath(folder: string, relative: string): string {
  const parts = [...folder.split("/"), ...relative.split("/")].filter((p) => p !== "");
  return "/" + parts.join("/");
}

export function parentPath(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Normalizes user input like "a/b/" or "/a//b" to "/a/b". */
export function normalizePath(input: string): string {
  return joinPath("/", input.trim());
}

/** The browser URL of a folder: /files/<segments, each URL-encoded>. */
export function folderUrl(path: string): string {
  const segments = path.split("/").filter((p) => p !== "");
  return "/files/" + segments.map(encodeURIComponent).join("/");
}

/** The folder path of a /files/... URL path; undefined when it is not one. */
export function folderFromUrl(pathname: string): string | undefined {
  if (pathname !== "/files" && !pathname.startsWith("/files/")) return undefined;
  const segments = pathname.slice("/files".length).split("/").filter((p) => p !== "");
  try {
    return "/" + segments.map(decodeURIComponent).join("/");
  } catch {
    return "/";
  }
}

/** "1 file", "3 files"; "1 entry", "2 entries" with the plural form given. */
export function plural(count: number | bigint, word: string, words = `${word}s`): string {
  return `${count} ${Number(count) === 1 ? word : words}`;
}
