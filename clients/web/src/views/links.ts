// The link dialog: share links (/s/{id}) of one entry, with expiry,
// password and download limit; copy and revoke.

import { api, errorText, linkUrl } from "../api";
import { h, toast } from "../dom";
import { formatDate } from "../format";
import type { Entry } from "../gen/cordvault/v1/common_pb";
import type { Link } from "../gen/cordvault/v1/link_pb";
import { openPanel } from "./dialogs";

export function openLinkDialog(entry: Entry): void {
  const { body } = openPanel("link-dialog", `Links to “${entry.name}”`);
  const expiry = h("input", { testid: "link-expiry-hours", type: "number", min: 1, step: 1, placeholder: "never" });
  const password = h("input", { testid: "link-password", type: "text", placeholder: "none", autocomplete: "off" });
  const maxDownloads = h("input", { testid: "link-max-downloads", type: "number", min: 1, step: 1, placeholder: "unlimited" });
  const rows = h("ul", { class: "rows" });

  async function load(): Promise<void> {
    try {
      const { links } = await api().links.listLinks({});
      const mine = links.filter((link) => link.alive && link.path === entry.path);
      rows.replaceChildren(...mine.map((link) => linkRow(link, load)));
      if (mine.length === 0) rows.append(h("li", { class: "muted" }, "No live links."));
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  async function create(): Promise<void> {
    const hours = Number(expiry.value);
    const max = Number(maxDownloads.value);
    try {
      const { link } = await api().links.createLink({
        path: entry.path,
        expiresAtMs: hours > 0 ? BigInt(Date.now() + Math.round(hours * 3600_000)) : 0n,
        password: password.value,
        maxDownloads: max > 0 ? BigInt(Math.floor(max)) : 0n,
      });
      password.value = "";
      await load();
      if (link) await copy(linkUrl(link.urlPath));
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  body.append(
    h(
      "div",
      { class: "form-grid" },
      h("label", {}, "Expires after (hours)", expiry),
      h("label", {}, "Password", password),
      h("label", {}, "Maximum downloads", maxDownloads),
    ),
    h("div", { class: "dialog-buttons" }, h("button", { testid: "link-create", type: "button", class: "primary", onclick: create }, "Create link")),
    h("h3", {}, "Live links"),
    rows,
  );
  void load();
}

function linkRow(link: Link, reload: () => Promise<void>): HTMLElement {
  const url = linkUrl(link.urlPath);
  const details = [
    link.expiresAtMs ? `expires ${formatDate(link.expiresAtMs)}` : "never expires",
    link.hasPassword ? "password" : "",
    link.maxDownloads ? `${link.downloads}/${link.maxDownloads} downloads` : `${link.downloads} downloads`,
  ].filter(Boolean);
  const revoke = async () => {
    try {
      await api().links.revokeLink({ id: link.id });
      toast("Link revoked");
      await reload();
    } catch (err) {
      toast(errorText(err), "error");
    }
  };
  return h(
    "li",
    { testid: "link-row", "data-id": link.id },
    h(
      "div",
      { class: "grow" },
      h("a", { testid: "link-url", href: url, target: "_blank", rel: "noopener" }, url),
      h("div", { class: "muted small" }, details.join(" · ")),
    ),
    h("button", { testid: "link-copy", type: "button", onclick: () => copy(url) }, "Copy"),
    h("button", { testid: "link-revoke", type: "button", onclick: revoke }, "Revoke"),
  );
}

/** Copies text: the Clipboard API where allowed (secure contexts), else a hidden textarea. */
async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast("Link copied to the clipboard");
    return;
  } catch {
    // Not a secure context, or permission refused: fall through.
  }
  const area = h("textarea", { readonly: true, class: "offscreen" }, text);
  // Inside the open dialog: elements outside a modal dialog cannot be focused.
  (document.querySelector("dialog[open]") ?? document.body).appendChild(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  toast(copied ? "Link copied to the clipboard" : `Copy this link: ${text}`, copied ? "info" : "error");
}
