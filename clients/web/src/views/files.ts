// /files/<path>: breadcrumbs, sorting, the toolbar, the listing, uploads by
// picker and drag-and-drop, and live updates from Watch.

import { api, downloadUrl, errorText, startDownload } from "../api";
import { type App, routeLink, type View } from "../app";
import { debounce, h, toast } from "../dom";
import { folderUrl, parentPath } from "../format";
import { Access, EntryKind, type Entry } from "../gen/cordvault/v1/common_pb";
import { fromDrop, fromInput } from "../pick";
import { watchFolder } from "../watch";
import { EntryList, type Sort, type SortBy } from "./entry-list";
import * as actions from "./file-actions";
import { header, viewMode } from "./header";
import { openLinkDialog } from "./links";
import { openProperties } from "./properties";
import { openShareDialog } from "./share";

const SORT_KEY = "cordvault.sort";

function loadSort(): Sort {
  try {
    const saved = JSON.parse(localStorage.getItem(SORT_KEY) ?? "{}") as Partial<Sort>;
    if (saved.by === "name" || saved.by === "updated" || saved.by === "size") {
      return { by: saved.by, descending: saved.descending === true };
    }
  } catch {
    // A damaged value: use the default.
  }
  return { by: "name", descending: false };
}

export function filesView(app: App, folder: string): View {
  let sort = loadSort();
  const list = new EntryList(folder, sort, viewMode(), {
    open: (entry) => open(entry),
    selectionChanged: () => paintToolbar(),
  });
  const refresh = debounce(() => void list.reload(true), 250);

  function open(entry: Entry): void {
    if (entry.kind === EntryKind.FOLDER) app.navigate(folderUrl(entry.path));
    else downloadUrl(entry.path).then(startDownload, (err: unknown) => toast(errorText(err), "error"));
  }

  // Sorting (server-side).
  const sortBy = h(
    "select",
    { testid: "sort-by", "aria-label": "Sort by" },
    h("option", { value: "name" }, "Name"),
    h("option", { value: "updated" }, "Modified"),
    h("option", { value: "size" }, "Size"),
  );
  sortBy.value = sort.by;
  const sortDir = h("button", { testid: "sort-dir", type: "button", class: "icon-button" });
  const paintSort = () => {
    sortDir.dataset.dir = sort.descending ? "desc" : "asc";
    sortDir.textContent = sort.descending ? "↓ Desc" : "↑ Asc";
    sortDir.title = sort.descending ? "Descending: click for ascending" : "Ascending: click for descending";
  };
  const setSort = (next: Sort) => {
    sort = next;
    localStorage.setItem(SORT_KEY, JSON.stringify(sort));
    sortBy.value = sort.by;
    paintSort();
    list.setSort(sort);
  };
  paintSort();
  sortBy.addEventListener("change", () => setSort({ by: sortBy.value as SortBy, descending: sort.descending }));
  sortDir.addEventListener("click", () => setSort({ by: sort.by, descending: !sort.descending }));
  const columnHead = (by: SortBy, text: string) =>
    h(
      "button",
      {
        type: "button",
        class: `col col-${by}`,
        onclick: () => setSort({ by, descending: sort.by === by ? !sort.descending : false }),
      },
      text,
    );

  // Toolbar.
  const filesInput = h("input", { type: "file", multiple: true, testid: "upload-files", hidden: true });
  const folderInput = h("input", { type: "file", multiple: true, webkitdirectory: true, testid: "upload-folder", hidden: true });
  for (const input of [filesInput, folderInput]) {
    input.addEventListener("change", () => {
      const picked = fromInput(input);
      if (picked.files.length) app.uploader.add(folder, picked.files);
      input.value = ""; // picking the same file again must fire change again
    });
  }
  const button = (testid: string, text: string, onclick: () => void, title = text) =>
    h("button", { testid, type: "button", title, onclick }, text);
  const selection = () => list.selection();
  const single = () => (selection().length === 1 ? selection()[0] : undefined);
  const buttons = {
    newFolder: button("new-folder", "New folder", async () => {
      const name = await actions.newFolder(folder);
      if (name) await reloadAndSelect(name);
    }),
    upload: button("upload-files-button", "Upload files", () => filesInput.click()),
    uploadFolder: button("upload-folder-button", "Upload folder", () => folderInput.click()),
    rename: button("rename", "Rename", async () => {
      const entry = single();
      const name = entry && (await actions.rename(entry));
      if (name) await reloadAndSelect(name);
    }),
    move: button("move", "Move", async () => {
      if (await actions.move(selection(), folder)) await list.reload(true);
    }),
    delete: button("delete", "Delete", () => void deleteSelection(), "Move to the trash"),
    download: button("download", "Download", () => void actions.download(selection()), "Download (folders as zip)"),
    share: button("share", "Share", () => {
      const entry = single();
      if (entry) openShareDialog(entry, () => void list.reload(true));
    }),
    link: button("link", "Link", () => {
      const entry = single();
      if (entry) openLinkDialog(entry);
    }),
    properties: button("properties", "Properties", () => void showProperties()),
  };
  function paintToolbar(): void {
    const entries = selection();
    const count = entries.length;
    const write = allows(entries, Access.WRITE);
    for (const b of [buttons.rename, buttons.link]) b.disabled = count !== 1 || !write;
    buttons.share.disabled = count !== 1 || !allows(entries, Access.MANAGE);
    for (const b of [buttons.move, buttons.delete]) b.disabled = count === 0 || !write;
    buttons.download.disabled = count === 0 || !allows(entries, Access.READ);
    buttons.properties.disabled = count > 1;
    selectionInfo.textContent = count ? `${count} selected` : "";
  }
  const selectionInfo = h("span", { class: "selection-info", "aria-live": "polite" });

  async function reloadAndSelect(name: string): Promise<void> {
    await list.reload(true);
    list.select([name], name);
  }

  async function deleteSelection(): Promise<void> {
    const entries = selection();
    if (entries.length && (await actions.moveToTrash(entries))) {
      list.select([]);
      await list.reload(true);
    }
  }

  /** The selected entry's properties, or the current folder's when nothing is selected. */
  async function showProperties(): Promise<void> {
    let entry = single();
    if (!entry) {
      try {
        entry = (await api().files.stat({ path: folder })).entry;
      } catch (err) {
        toast(errorText(err), "error");
      }
    }
    if (!entry) return;
    // The button and the panel share the "properties" test id; while the
    // panel is open only the panel carries it, so that it names one element.
    const button = buttons.properties;
    button.dataset.testid = "properties-button";
    openProperties(entry, () => (button.dataset.testid = "properties"));
  }

  // Breadcrumbs: "/" then one link per folder on the way.
  const crumbs = h("nav", { testid: "breadcrumbs", class: "breadcrumbs", "aria-label": "Folder" });
  crumbs.append(routeLink(app, "/files/", { testid: "crumb", class: "crumb" }, "/"));
  let path = "";
  for (const segment of folder.split("/").filter(Boolean)) {
    path += "/" + segment;
    const link = routeLink(app, folderUrl(path), { testid: "crumb", class: "crumb" }, segment);
    crumbs.append(h("span", { class: "crumb-sep", "aria-hidden": "true" }, "›"), link);
  }
  crumbs.lastElementChild?.setAttribute("aria-current", "page");

  const main = h(
    "main",
    { class: "files" },
    h("div", { class: "files-bar" }, crumbs, h("span", { class: "spacer" }), h("label", { class: "sort" }, "Sort", sortBy), sortDir),
    h(
      "div",
      { class: "toolbar", role: "toolbar" },
      buttons.upload,
      buttons.uploadFolder,
      buttons.newFolder,
      h("span", { class: "toolbar-sep" }),
      buttons.download,
      buttons.rename,
      buttons.move,
      buttons.delete,
      buttons.share,
      buttons.link,
      buttons.properties,
      selectionInfo,
      filesInput,
      folderInput,
    ),
    h("div", { class: "list-head" }, h("span", { class: "select-box" }), h("span"), columnHead("name", "Name"), columnHead("size", "Size"), columnHead("updated", "Modified")),
    list.el,
  );
  paintToolbar();

  // Drag and drop of files and folders from the desktop.
  let dragTimer = 0;
  main.addEventListener("dragover", (event) => {
    if (!event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    main.classList.add("dragging");
    clearTimeout(dragTimer);
    // dragover repeats while the pointer stays; its end means the drag left.
    dragTimer = window.setTimeout(() => main.classList.remove("dragging"), 150);
  });
  main.addEventListener("drop", async (event) => {
    if (!event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    main.classList.remove("dragging");
    try {
      const picked = await fromDrop(event.dataTransfer);
      if (picked.files.length || picked.folders.length) app.uploader.add(folder, picked.files, picked.folders);
    } catch (err) {
      toast(`Cannot read the dropped files: ${errorText(err)}`, "error");
    }
  });

  // Keyboard shortcuts while no dialog or text field has the focus.
  const onKey = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    if (target.closest("input, textarea, select, dialog") || document.querySelector("dialog[open]")) return;
    const mod = event.ctrlKey || event.metaKey;
    if (event.key === "Delete") buttons.delete.click();
    else if (event.key === "F2") buttons.rename.click();
    else if (mod && event.key === "a") {
      event.preventDefault();
      list.selectAll();
    } else if (event.key === "Escape") list.select([]);
    else if (event.key === "Backspace" && folder !== "/") app.navigate(folderUrl(parentPath(folder)));
  };
  document.addEventListener("keydown", onKey);

  // Live updates: reload when something changes in this folder.
  const stopWatch = watchFolder(
    folder,
    (event) => {
      const touches = (p: string) => p !== "" && (parentPath(p) === folder || folder === p || folder.startsWith(p + "/"));
      if (touches(event.path) || touches(event.previousPath)) refresh();
    },
    refresh,
  );
  const onCommitted = (event: Event) => {
    if (parentPath((event as CustomEvent<string>).detail) === folder) refresh();
  };
  window.addEventListener("cordvault:committed", onCommitted);

  const el = h("div", { class: "page" }, header(app, "files", (mode) => list.setMode(mode)), main);
  void list.reload();
  return {
    el,
    destroy() {
      stopWatch();
      list.destroy();
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("cordvault:committed", onCommitted);
    },
  };
}

/**
 * Whether the caller may do what takes `needed` with every entry. An entry
 * whose access is unknown (one a Watch event brought) allows it: the server
 * decides, and its refusal shows.
 */
function allows(entries: Entry[], needed: Access): boolean {
  return entries.every((entry) => entry.access === Access.UNSPECIFIED || entry.access >= needed);
}
