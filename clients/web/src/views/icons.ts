// Small inline SVG icons, so nothing depends on emoji fonts.

import { svg } from "../dom";
import { EntryKind, type Entry } from "../gen/cordvault/v1/common_pb";

const COLORS: [RegExp, string][] = [
  [/^image\//, "#2f9e6e"],
  [/^video\//, "#c2410c"],
  [/^audio\//, "#9333ea"],
  [/^text\/|json|xml|javascript/, "#64748b"],
  [/pdf/, "#dc2626"],
  [/zip|tar|gzip|compressed|7z|rar/, "#a16207"],
];

export function colorForMime(mime: string): string {
  return COLORS.find(([pattern]) => pattern.test(mime))?.[1] ?? "#3b82f6";
}

export function entryIcon(entry: Entry): SVGElement {
  if (entry.kind === EntryKind.FOLDER) {
    return svg(
      "svg",
      { viewBox: "0 0 24 24", class: "icon", "aria-hidden": "true" },
      svg("path", { d: "M2 6a2 2 0 0 1 2-2h5l2 2h9a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2z", fill: "#e0a526" }),
    );
  }
  const dot = entry.name.lastIndexOf(".");
  const ext = dot > 0 ? entry.name.slice(dot + 1, dot + 5).toUpperCase() : "";
  return svg(
    "svg",
    { viewBox: "0 0 24 24", class: "icon", "aria-hidden": "true" },
    svg("path", { d: "M5 2h9l5 5v15H5z", fill: "#eef2f7", stroke: "#94a3b8", "stroke-width": "1" }),
    svg("path", { d: "M14 2v5h5", fill: "none", stroke: "#94a3b8", "stroke-width": "1" }),
    ext ? svg("rect", { x: "3", y: "13", width: "18", height: "7", rx: "1.5", fill: colorForMime(entry.mimeType) }) : null,
    ext
      ? svg("text", { x: "12", y: "18.6", "text-anchor": "middle", "font-size": "5.5", "font-family": "sans-serif", fill: "#fff" }, ext)
      : null,
  );
}
