// /trash: what the user deleted (and what was deleted of theirs); restore
// single items or purge everything.

import { api, errorText } from "../api";
import type { App, View } from "../app";
import { h, toast } from "../dom";
import { formatBytes, formatDate, plural } from "../format";
import { EntryKind } from "../gen/cordvault/v1/common_pb";
import type { TrashItem } from "../gen/cordvault/v1/file_pb";
import { promptDialog } from "./dialogs";
import { header } from "./header";
import { entryIcon } from "./icons";

export function trashView(app: App): View {
  const list = h("div", { class: "trash-list", testid: "trash-list" });
  const emptyButton = h("button", { testid: "empty-trash", type: "button", class: "danger" }, "Empty trash");

  async function load(): Promise<void> {
    try {
      const { items } = await api().files.listTrash({});
      list.replaceChildren(...items.map(row));
      if (items.length === 0) list.append(h("p", { class: "empty" }, "The trash is empty."));
      emptyButton.disabled = items.length === 0;
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  function row(item: TrashItem): HTMLElement {
    const entry = item.entry;
    const name = entry?.name ?? item.originalPath.slice(item.originalPath.lastIndexOf("/") + 1);
    const restore = async () => {
      try {
        const { entry: restored } = await api().files.restore({ trashId: item.trashId });
        toast(`Restored to ${restored?.path ?? item.originalPath}`);
        await load();
      } catch (err) {
        toast(errorText(err), "error");
      }
    };
    const folder = entry?.kind === EntryKind.FOLDER;
    return h(
      "div",
      { testid: "trash-entry", class: "trash-entry", "data-name": name },
      entry ? h("span", { class: "entry-icon" }, entryIcon(entry)) : h("span"),
      h(
        "div",
        { class: "grow" },
        h("div", { class: "entry-name" }, name),
        h(
          "div",
          { class: "muted small" },
          `${item.originalPath} · ${folder ? "folder" : formatBytes(entry?.size ?? 0n)} · deleted ${formatDate(item.deletedAtMs)} by ${item.deletedBy} · purged ${formatDate(item.purgeAtMs)}`,
        ),
      ),
      h("button", { testid: "restore", type: "button", onclick: restore }, "Restore"),
    );
  }

  emptyButton.addEventListener("click", async () => {
    const ok = await promptDialog({
      title: "Empty the trash?",
      message: "Everything in your trash is deleted for good. This cannot be undone.",
      okText: "Empty trash",
    });
    if (ok === null) return;
    try {
      const { purgedEntries } = await api().files.emptyTrash({});
      toast(`Deleted ${plural(purgedEntries, "entry", "entries")} for good`);
      await load();
    } catch (err) {
      toast(errorText(err), "error");
    }
  });

  void load();
  const main = h(
    "main",
    { class: "trash" },
    h("div", { class: "files-bar" }, h("h1", {}, "Trash"), h("span", { class: "spacer" }), emptyButton),
    list,
  );
  return { el: h("div", { class: "page" }, header(app, "trash"), main) };
}
