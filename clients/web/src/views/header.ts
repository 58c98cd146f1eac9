// The bar on top of every signed-in view.

import { type App, routeLink } from "../app";
import { h } from "../dom";

export type ViewMode = "list" | "grid";
const VIEW_MODE_KEY = "cordvault.view";

export function viewMode(): ViewMode {
  return localStorage.getItem(VIEW_MODE_KEY) === "grid" ? "grid" : "list";
}

/** `onViewMode` is called when the list/grid toggle changes (only the files view cares). */
export function header(app: App, active: "files" | "trash" | "admin", onViewMode?: (mode: ViewMode) => void): HTMLElement {
  const nav = (href: string, testid: string, text: string, name: typeof active) => {
    const link = routeLink(app, href, { testid, class: "nav-link" }, text);
    if (name === active) link.setAttribute("aria-current", "page");
    return link;
  };
  const toggle = h("button", { testid: "view-toggle", class: "icon-button", type: "button" });
  const paintToggle = () => {
    const mode = viewMode();
    toggle.dataset.view = mode;
    toggle.textContent = mode === "grid" ? "☰ List" : "▦ Grid";
    toggle.title = mode === "grid" ? "Show as a list" : "Show as a grid with thumbnails";
  };
  paintToggle();
  toggle.addEventListener("click", () => {
    const mode: ViewMode = viewMode() === "grid" ? "list" : "grid";
    localStorage.setItem(VIEW_MODE_KEY, mode);
    paintToggle();
    onViewMode?.(mode);
  });
  return h(
    "header",
    { class: "app-header" },
    routeLink(app, "/files/", { class: "brand" }, "cordvault"),
    h(
      "nav",
      {},
      nav("/files/", "nav-files", "Files", "files"),
      nav("/trash", "nav-trash", "Trash", "trash"),
      app.user?.isAdmin ? nav("/admin", "nav-admin", "Users", "admin") : null,
    ),
    h("span", { class: "spacer" }),
    toggle,
    h("span", { testid: "whoami", class: "whoami", title: app.user?.isAdmin ? "administrator" : "" }, app.user?.username ?? ""),
    h("button", { testid: "logout", type: "button", onclick: () => app.signOut() }, "Log out"),
  );
}
