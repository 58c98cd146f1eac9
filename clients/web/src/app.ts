// What views share: the signed-in user, navigation and the upload queue.

import type { Uploader } from "./upload";

export interface CurrentUser {
  username: string;
  isAdmin: boolean;
}

export interface App {
  user?: CurrentUser;
  uploader: Uploader;
  /** Pushes (or replaces) a history entry and renders the route. */
  navigate(url: string, options?: { replace?: boolean }): void;
  signedIn(token: string, user: CurrentUser): void;
  signOut(message?: string): void;
}

/** A mounted view: its root element and what to stop when it goes away. */
export interface View {
  el: HTMLElement;
  destroy?(): void;
}

/** An <a> that navigates with the history API (ctrl-click still opens a tab). */
export function routeLink(app: App, href: string, props: Record<string, string>, text: string): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = href;
  for (const [key, value] of Object.entries(props)) a.setAttribute(key === "testid" ? "data-testid" : key, value);
  a.textContent = text;
  a.addEventListener("click", (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    app.navigate(href);
  });
  return a;
}
