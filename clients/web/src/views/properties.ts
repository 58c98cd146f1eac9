// The properties panel: what an entry is, and for folders the bytes per
// file type as a bar chart (FolderUsage).

import { api, errorText } from "../api";
import { h, svg } from "../dom";
import { formatBytes, formatDate, plural } from "../format";
import { EntryKind, type Entry } from "../gen/cordvault/v1/common_pb";
import type { FolderUsageResponse } from "../gen/cordvault/v1/file_pb";
import { openPanel } from "./dialogs";
import { colorForMime } from "./icons";

/** Bars shown; smaller types are summed up as "other". */
const MAX_BARS = 8;

export function openProperties(entry: Entry, onClose?: () => void): void {
  const title = entry.path === "/" ? "Properties of /" : `Properties of “${entry.name}”`;
  const { body } = openPanel("properties", title, onClose);
  const folder = entry.kind === EntryKind.FOLDER;
  const rows: [string, string][] = [
    ["Name", entry.name || "/"],
    ["Path", entry.path],
    ["Kind", folder ? "Folder" : entry.mimeType || "File"],
    ...(folder ? [] : ([["Size", `${formatBytes(entry.size)} (${entry.size.toLocaleString()} bytes)`]] as [string, string][])),
    ["Owner", entry.owner],
    ["Created", formatDate(entry.createdAtMs)],
    ["Modified", formatDate(entry.updatedAtMs)],
    ["Public", entry.public ? "yes" : "no"],
    ...(entry.sha256 ? ([["SHA-256", entry.sha256]] as [string, string][]) : []),
  ];
  body.append(h("dl", { class: "props" }, rows.map(([key, value]) => [h("dt", {}, key), h("dd", {}, value)])));
  if (!folder) return;
  const usage = h("div", { class: "usage" }, h("p", { class: "muted" }, "Counting…"));
  body.append(h("h3", {}, "Contents"), usage);
  api()
    .files.folderUsage({ path: entry.path })
    .then((result) => usage.replaceChildren(...usageView(result)))
    .catch((err) => usage.replaceChildren(h("p", { class: "error" }, errorText(err))));
}

function usageView(usage: FolderUsageResponse): Node[] {
  const summary = h(
    "p",
    {},
    `${formatBytes(usage.totalBytes)} in ${plural(usage.totalFiles, "file")} and ${plural(usage.totalFolders, "folder")}`,
  );
  return [summary, usageChart(usage)];
}

/** A horizontal bar per MIME type, longest first, as an SVG. */
export function usageChart(usage: FolderUsageResponse): SVGElement {
  const rows = usage.byMimeType.slice(0, MAX_BARS).map((m) => ({
    label: m.mimeType || "unknown",
    bytes: Number(m.bytes),
    files: Number(m.files),
  }));
  const rest = usage.byMimeType.slice(MAX_BARS);
  if (rest.length) {
    rows.push({
      label: "other",
      bytes: rest.reduce((sum, m) => sum + Number(m.bytes), 0),
      files: rest.reduce((sum, m) => sum + Number(m.files), 0),
    });
  }
  const width = 480;
  const rowHeight = 30;
  const labelWidth = 150;
  const barSpace = width - labelWidth - 90;
  const largest = Math.max(1, ...rows.map((r) => r.bytes));
  const chart = svg("svg", {
    testid: "usage-chart",
    viewBox: `0 0 ${width} ${Math.max(1, rows.length) * rowHeight}`,
    role: "img",
    "aria-label": "Bytes per file type",
    class: "usage-chart",
  });
  if (rows.length === 0) {
    chart.append(svg("text", { x: "0", y: "20", class: "chart-label" }, "No files"));
  }
  rows.forEach((row, i) => {
    const y = i * rowHeight;
    const barWidth = Math.max(2, (row.bytes / largest) * barSpace);
    chart.append(
      svg(
        "g",
        { "data-mime": row.label },
        svg("title", {}, `${row.label}: ${formatBytes(row.bytes)} in ${plural(row.files, "file")}`),
        svg("text", { x: String(labelWidth - 8), y: String(y + 19), "text-anchor": "end", class: "chart-label" }, shorten(row.label)),
        svg("rect", { x: String(labelWidth), y: String(y + 6), width: barWidth.toFixed(1), height: "18", rx: "3", fill: colorForMime(row.label) }),
        svg("text", { x: (labelWidth + barWidth + 6).toFixed(1), y: String(y + 19), class: "chart-value" }, formatBytes(row.bytes)),
      ),
    );
  });
  return chart;
}

function shorten(label: string): string {
  return label.length > 22 ? label.slice(0, 21) + "…" : label;
}
