// The upload panel: one row per file with state, percent and speed, plus the
// unfinished uploads of earlier visits that wait for their file.

import { h } from "../dom";
import { formatBytes, formatSpeed } from "../format";
import { dismissUnfinished, unfinishedUploads, type UploadItem, type Uploader, type UploadRecord } from "../upload";

const STATE_TEXT: Record<UploadItem["state"], string> = {
  queued: "waiting",
  uploading: "uploading",
  committing: "finishing",
  done: "done",
  error: "failed",
  skipped: "skipped",
};

export function uploadsPanel(uploader: Uploader): HTMLElement {
  const list = h("ul", { class: "upload-list" });
  const pendingList = h("ul", { class: "upload-list" });
  const summary = h("span", { class: "grow" });
  const panel = h(
    "section",
    { testid: "uploads", class: "uploads", hidden: true, "aria-label": "Uploads" },
    h(
      "header",
      {},
      summary,
      h("button", { type: "button", class: "small", onclick: () => uploader.clearFinished() }, "Clear finished"),
      h("button", { type: "button", class: "small", onclick: () => panel.classList.toggle("collapsed") }, "▾"),
    ),
    pendingList,
    list,
  );
  const rows = new Map<number, { row: HTMLElement; paint: () => void }>();
  let pendingKey = "";

  function paint(): void {
    // Rows are kept and updated in place, so a button is never swapped under the pointer.
    const ids = new Set(uploader.items.map((item) => item.id));
    for (const [id, { row }] of rows) {
      if (!ids.has(id)) {
        row.remove();
        rows.delete(id);
      }
    }
    for (const item of uploader.items) {
      let entry = rows.get(item.id);
      if (!entry) {
        entry = itemRow(uploader, item);
        rows.set(item.id, entry);
        list.appendChild(entry.row);
      }
      entry.paint();
    }
    const active = new Set(uploader.items.filter((item) => item.state !== "done").map((item) => item.path));
    const pending = unfinishedUploads().filter((record) => !active.has(record.path));
    const key = pending.map((record) => record.uploadId).join(",");
    if (key !== pendingKey) {
      pendingKey = key;
      pendingList.replaceChildren(...pending.map((record) => pendingRow(uploader, record, paint)));
    }
    const running = uploader.items.filter((item) => !["done", "error", "skipped"].includes(item.state)).length;
    summary.textContent = running ? `Uploading ${running} of ${uploader.items.length}` : `Uploads (${uploader.items.length})`;
    panel.hidden = uploader.items.length === 0 && pending.length === 0;
  }

  let scheduled = false;
  uploader.onChange(() => {
    // Progress events come per chunk; paint at most once per frame.
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      paint();
    });
  });
  paint();
  return panel;
}

function itemRow(uploader: Uploader, item: UploadItem): { row: HTMLElement; paint: () => void } {
  const status = h("span", { class: "upload-status" });
  const bar = h("span", { class: "bar-fill" });
  const cancel = h("button", { type: "button", class: "small", testid: "upload-cancel", onclick: () => void uploader.cancel(item) }, "Cancel");
  const retry = h("button", { type: "button", class: "small", testid: "upload-retry", onclick: () => uploader.retry(item) }, "Retry");
  const row = h(
    "li",
    { testid: "upload-item", class: "upload-item", "data-name": item.name },
    h("div", { class: "upload-line" }, h("span", { class: "upload-name", title: item.path }, item.name), cancel, retry),
    h("span", { class: "bar" }, bar),
    status,
  );
  const paint = () => {
    const { state, file } = item;
    row.dataset.state = state;
    row.dataset.resumed = String(item.resumed);
    const size = file.size || 1;
    const fraction = state === "done" ? 1 : file.size === 0 ? 0 : item.sent / size;
    const percent = `${Math.floor(fraction * 100)}%`;
    bar.style.transform = `scaleX(${fraction})`;
    const parts: string[] = [];
    if (state === "queued") parts.push(STATE_TEXT[state]);
    else if (state === "error" || state === "skipped") parts.push(item.message || STATE_TEXT[state]);
    else parts.push(STATE_TEXT[state], percent, formatSpeed(item.speed));
    if (item.resumed) parts.push("resumed");
    parts.push(formatBytes(file.size));
    status.textContent = parts.join(" · ");
    cancel.hidden = state === "done" || state === "error" || state === "skipped";
    retry.hidden = state !== "error" || item.abort !== undefined;
  };
  return { row, paint };
}

function pendingRow(uploader: Uploader, record: UploadRecord, repaint: () => void): HTMLElement {
  const picker = h("input", { type: "file", hidden: true });
  picker.addEventListener("change", () => {
    const file = picker.files?.[0];
    if (file) uploader.resume(record, file);
  });
  return h(
    "li",
    { testid: "upload-pending", class: "upload-item pending", "data-name": record.name },
    h(
      "div",
      { class: "upload-line" },
      h("span", { class: "upload-name", title: record.path }, record.name),
      picker,
      h("button", { type: "button", class: "small", onclick: () => picker.click() }, "Pick file…"),
      h(
        "button",
        {
          type: "button",
          class: "small",
          onclick: async () => {
            await dismissUnfinished(record);
            repaint();
          },
        },
        "Forget",
      ),
    ),
    h("span", { class: "upload-status" }, `unfinished (${formatBytes(record.size)}): pick the file again to resume into ${record.path}`),
  );
}
