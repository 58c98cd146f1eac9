// Bootstrap and router. Routes are real paths (history API):
//   /login, /files/<folder path>, /trash, /admin; "/" goes to /files/ or /login.

import { Code } from "@connectrpc/connect";
import { api, errorText, getToken, isCode, serverAddress, setToken, setUnauthenticatedHandler } from "./api";
import type { App, CurrentUser, View } from "./app";
import { h, toast, toastElement } from "./dom";
import { folderFromUrl } from "./format";
import { Uploader } from "./upload";
import { adminView } from "./views/admin";
import { conflictDialog } from "./views/dialogs";
import { filesView } from "./views/files";
import { loginView } from "./views/login";
import { trashView } from "./views/trash";
import { uploadsPanel } from "./views/uploads";

const root = document.getElementById("app")!;
let current: View | undefined;
/** Bumped by every render: a render that awaited something checks it is still the latest. */
let renders = 0;
/** Where to go after logging in, when the session ended on some page. */
let afterLogin = "/files/";

const uploader = new Uploader({
  askConflict: conflictDialog,
  // The files view of that folder listens and refreshes.
  committed: (entry) => window.dispatchEvent(new CustomEvent("cordvault:committed", { detail: entry.path })),
});

const app: App = {
  uploader,
  navigate(url, options = {}) {
    if (options.replace) history.replaceState(null, "", url);
    else if (url !== location.pathname + location.search) history.pushState(null, "", url);
    void render();
  },
  signedIn(token: string, user: CurrentUser) {
    setToken(token);
    app.user = user;
    app.navigate(afterLogin);
    afterLogin = "/files/";
  },
  signOut(message?: string) {
    setToken("");
    app.user = undefined;
    app.navigate("/login");
    if (message) toast(message, "error");
  },
};

setUnauthenticatedHandler(() => {
  // Several calls may fail at once; act on the first only.
  if (!getToken()) return;
  if (location.pathname !== "/login") afterLogin = location.pathname;
  app.signOut("Your session has ended. Please log in again.");
});

function mount(view: View, route: string): void {
  current?.destroy?.();
  current = view;
  document.body.dataset.route = route;
  root.replaceChildren(view.el);
}

async function render(): Promise<void> {
  const ticket = ++renders;
  const path = location.pathname;
  if (path === "/login") {
    document.title = "Log in · cordvault";
    return mount(loginView(app), "login");
  }
  if (!getToken()) {
    if (path !== "/") afterLogin = path;
    history.replaceState(null, "", "/login");
    return render();
  }
  if (!app.user) {
    try {
      const { user } = await api().auth.whoAmI({});
      app.user = { username: user?.username ?? "", isAdmin: user?.isAdmin ?? false };
    } catch (err) {
      // UNAUTHENTICATED already sent us to /login.
      if (ticket === renders && !isCode(err, Code.Unauthenticated)) mount(offlineView(err), "offline");
      return;
    }
    if (ticket !== renders) return;
  }
  const folder = folderFromUrl(path);
  if (folder !== undefined) {
    document.title = `${folder} · cordvault`;
    mount(filesView(app, folder), "files");
  } else if (path === "/trash") {
    document.title = "Trash · cordvault";
    mount(trashView(app), "trash");
  } else if (path === "/admin" && app.user.isAdmin) {
    document.title = "Users · cordvault";
    mount(adminView(app), "admin");
  } else {
    history.replaceState(null, "", "/files/");
    return render();
  }
}

/** Shown when the server cannot tell who we are for another reason than a bad token. */
function offlineView(err: unknown): View {
  return {
    el: h(
      "main",
      { class: "login" },
      h(
        "div",
        { class: "login-card" },
        h("h1", {}, "cordvault"),
        h("p", { class: "error" }, errorText(err)),
        h("p", { class: "muted" }, `Server: ${serverAddress()}`),
        h(
          "div",
          { class: "login-buttons" },
          h("button", { type: "button", onclick: () => app.signOut() }, "Log out"),
          h("button", { type: "button", class: "primary", onclick: () => void render() }, "Retry"),
        ),
      ),
    ),
  };
}

window.addEventListener("popstate", () => void render());
toastElement();
document.body.appendChild(uploadsPanel(uploader));
void render();
