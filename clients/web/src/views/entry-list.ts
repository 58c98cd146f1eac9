// The listing of one folder: pages loaded on demand (infinite scroll through
// a load-more button), server-side sorting and click / ctrl / shift selection.

import { api, errorText, prepareThumbnails, thumbnailUrl } from "../api";
import { h, toast } from "../dom";
import { formatBytes, formatDate } from "../format";
import { EntryKind, type Entry } from "../gen/cordvault/v1/common_pb";
import { SortField } from "../gen/cordvault/v1/file_pb";
import type { ViewMode } from "./header";
import { entryIcon } from "./icons";

const PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export type SortBy = "name" | "updated" | "size";
export interface Sort {
  by: SortBy;
  descending: boolean;
}

const SORT_FIELDS: Record<SortBy, SortField> = {
  name: SortField.NAME,
  updated: SortField.UPDATED,
  size: SortField.SIZE,
};

export interface EntryListHooks {
  open(entry: Entry): void;
  selectionChanged(): void;
}

export class EntryList {
  /** The scrolling part: the entries, then the load-more button. */
  readonly el: HTMLElement;
  readonly list: HTMLElement;
  entries: Entry[] = [];
  readonly selected = new Set<string>();
  private anchor?: string;
  private nextPageToken = "";
  private loading = false;
  /** Bumped by reload(): answers to older requests are dropped. */
  private generation = 0;
  private readonly loadMore: HTMLButtonElement;
  private readonly empty: HTMLElement;
  private readonly observer: IntersectionObserver;
  private readonly elements = new Map<string, HTMLElement>();

  constructor(
    readonly folder: string,
    private sort: Sort,
    mode: ViewMode,
    private readonly hooks: EntryListHooks,
  ) {
    this.list = h("div", { testid: "entry-list", class: "entry-list", role: "listbox", "aria-multiselectable": "true" });
    // In the DOM only while there are more pages.
    this.loadMore = h("button", { testid: "load-more", class: "load-more", type: "button" }, "Load more");
    this.empty = h("p", { class: "empty", hidden: true }, "This folder is empty. Drop files here or use Upload.");
    this.el = h("div", { class: "entries" }, this.list, this.empty);
    this.setMode(mode);
    this.loadMore.addEventListener("click", () => void this.loadNext());
    // Infinite scroll: the button loads the next page as soon as it shows.
    this.observer = new IntersectionObserver((seen) => {
      if (seen.some((entry) => entry.isIntersecting)) void this.loadNext();
    });
    this.list.addEventListener("click", (event) => this.onClick(event));
    this.list.addEventListener("dblclick", (event) => {
      const entry = this.entryAt(event.target);
      if (entry) this.hooks.open(entry);
    });
    this.list.addEventListener("keydown", (event) => {
      const entry = this.entryAt(event.target);
      if (entry && event.key === "Enter") this.hooks.open(entry);
      if (entry && event.key === " ") {
        event.preventDefault();
        this.onClick(event);
      }
    });
  }

  destroy(): void {
    this.observer.disconnect();
    this.generation++;
  }

  setMode(mode: ViewMode): void {
    this.list.dataset.view = mode;
    this.list.classList.toggle("grid", mode === "grid");
  }

  setSort(sort: Sort): void {
    this.sort = sort;
    void this.reload();
  }

  selection(): Entry[] {
    return this.entries.filter((entry) => this.selected.has(entry.name));
  }

  select(names: Iterable<string>, anchor?: string): void {
    this.selected.clear();
    for (const name of names) this.selected.add(name);
    this.anchor = anchor;
    this.paintSelection();
  }

  selectAll(): void {
    this.select(this.entries.map((entry) => entry.name), this.anchor);
  }

  /**
   * Loads the folder again from the start. After a change, as many entries
   * as were shown are fetched again (up to 1000), so the view keeps its length.
   */
  async reload(keepLength = false): Promise<void> {
    const generation = ++this.generation;
    const pageSize = keepLength ? Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, this.entries.length)) : PAGE_SIZE;
    this.loading = true;
    try {
      const page = await this.fetch("", pageSize);
      if (generation !== this.generation) return;
      this.entries = [];
      this.elements.clear();
      this.list.replaceChildren();
      this.append(page.entries, page.nextPageToken);
      const names = new Set(this.entries.map((entry) => entry.name));
      for (const name of [...this.selected]) if (!names.has(name)) this.selected.delete(name);
      this.paintSelection();
    } catch (err) {
      if (generation === this.generation) toast(errorText(err), "error");
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.afterPage();
      }
    }
  }

  async loadNext(): Promise<void> {
    if (this.loading || !this.nextPageToken) return;
    const generation = this.generation;
    this.loading = true;
    this.loadMore.disabled = true;
    this.loadMore.textContent = "Loading…";
    try {
      const page = await this.fetch(this.nextPageToken, PAGE_SIZE);
      if (generation !== this.generation) return;
      this.append(page.entries, page.nextPageToken);
    } catch (err) {
      if (generation === this.generation) toast(errorText(err), "error");
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.afterPage();
      }
    }
  }

  private async fetch(pageToken: string, pageSize: number) {
    const [page] = await Promise.all([
      api().files.list({
        path: this.folder,
        pageSize,
        pageToken,
        sortBy: SORT_FIELDS[this.sort.by],
        descending: this.sort.descending,
      }),
      // Without a ticket the thumbnails fail to load and the icons stay.
      prepareThumbnails().catch(() => undefined),
    ]);
    return page;
  }

  private append(entries: Entry[], nextPageToken: string): void {
    this.nextPageToken = nextPageToken;
    const fragment = document.createDocumentFragment();
    for (const entry of entries) {
      // A name seen twice means the folder changed between pages: keep the first.
      if (this.elements.has(entry.name)) continue;
      this.entries.push(entry);
      const el = entryElement(entry);
      this.elements.set(entry.name, el);
      fragment.appendChild(el);
    }
    this.list.appendChild(fragment);
  }

  /** Shows or hides the load-more button; loads on while it is still on screen. */
  private afterPage(): void {
    this.empty.hidden = this.entries.length > 0 || this.nextPageToken !== "";
    this.loadMore.disabled = false;
    this.loadMore.textContent = "Load more";
    if (this.nextPageToken === "") {
      this.loadMore.remove();
      return;
    }
    if (!this.loadMore.isConnected) {
      this.el.appendChild(this.loadMore);
      this.observer.observe(this.loadMore);
    }
    // Still on screen after this page: the observer will not fire again by itself.
    const box = this.loadMore.getBoundingClientRect();
    if (box.top < window.innerHeight && box.bottom > 0) void this.loadNext();
  }

  private entryAt(target: EventTarget | null): Entry | undefined {
    const el = (target as Element | null)?.closest?.<HTMLElement>('[data-testid="entry"]');
    const name = el?.dataset.name;
    return name === undefined ? undefined : this.entries.find((entry) => entry.name === name);
  }

  private onClick(event: MouseEvent | KeyboardEvent): void {
    const entry = this.entryAt(event.target);
    if (!entry) {
      // A click on the empty part of the list clears the selection.
      if (event.target === this.list) this.select([]);
      return;
    }
    const name = entry.name;
    const toggle = event.ctrlKey || event.metaKey || (event.target as Element).closest(".select-box") !== null;
    if (event.shiftKey) {
      const names = this.entries.map((e) => e.name);
      const from = Math.max(0, this.anchor === undefined ? 0 : names.indexOf(this.anchor));
      const to = names.indexOf(name);
      const range = names.slice(Math.min(from, to), Math.max(from, to) + 1);
      this.select(toggle ? [...this.selected, ...range] : range, this.anchor ?? name);
      window.getSelection()?.removeAllRanges();
    } else if (toggle) {
      if (this.selected.has(name)) this.selected.delete(name);
      else this.selected.add(name);
      this.anchor = name;
      this.paintSelection();
    } else {
      this.select([name], name);
    }
  }

  private paintSelection(): void {
    for (const [name, el] of this.elements) {
      const selected = this.selected.has(name);
      el.dataset.selected = String(selected);
      el.setAttribute("aria-selected", String(selected));
    }
    this.hooks.selectionChanged();
  }
}

function entryElement(entry: Entry): HTMLElement {
  const folder = entry.kind === EntryKind.FOLDER;
  const icon = h("span", { class: "entry-icon" }, entryIcon(entry));
  if (entry.hasThumbnail) {
    const img = h("img", {
      testid: "thumb",
      src: thumbnailUrl(entry.id),
      alt: "",
      loading: "lazy",
      decoding: "async",
    });
    img.addEventListener("load", () => {
      img.dataset.loaded = "true";
      icon.classList.add("has-thumb");
    });
    // No thumbnail after all (not made yet, removed): keep the icon.
    img.addEventListener("error", () => img.remove());
    icon.appendChild(img);
  }
  return h(
    "div",
    {
      testid: "entry",
      class: "entry",
      role: "option",
      tabindex: 0,
      "data-name": entry.name,
      "data-kind": folder ? "folder" : "file",
      "data-selected": "false",
      "data-has-thumbnail": String(entry.hasThumbnail),
      title: entry.name,
    },
    h("span", { class: "select-box", "aria-hidden": "true" }),
    icon,
    h("span", { class: "entry-name" }, entry.name, entry.public ? h("span", { class: "badge" }, "public") : null),
    h("span", { class: "entry-size" }, folder ? "—" : formatBytes(entry.size)),
    h("span", { class: "entry-updated" }, formatDate(entry.updatedAtMs)),
  );
}
