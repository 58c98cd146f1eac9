// The share dialog: shares with users (read / read-write), public or
// private, and giving the entry to another user.

import { api, errorText } from "../api";
import { debounce, h, toast } from "../dom";
import { plural } from "../format";
import { type Entry } from "../gen/cordvault/v1/common_pb";
import { ShareLevel, Visibility } from "../gen/cordvault/v1/file_pb";
import { openPanel } from "./dialogs";

const LEVEL_NAMES: Record<string, ShareLevel> = { read: ShareLevel.READ, "read-write": ShareLevel.READ_WRITE };

/** `changed` runs after anything that alters the listing (visibility, owner). */
export function openShareDialog(entry: Entry, changed: () => void): void {
  const { body } = openPanel("share-dialog", `Share “${entry.name}”`);
  const path = entry.path;

  const rows = h("ul", { class: "rows" });
  const suggestions = h("datalist", { id: "share-suggestions" });
  const user = h("input", {
    testid: "share-user",
    placeholder: "username",
    list: "share-suggestions",
    autocomplete: "off",
    autocapitalize: "none",
  });
  const level = h(
    "select",
    { testid: "share-level", "aria-label": "Access" },
    h("option", { value: "read" }, "can read"),
    h("option", { value: "read-write" }, "can read and write"),
  );
  const visibility = h("input", { type: "checkbox", testid: "visibility-public", checked: entry.public });
  const transferUser = h("input", { testid: "transfer-user", placeholder: "new owner", list: "share-suggestions", autocapitalize: "none" });
  const keepShare = h("input", { type: "checkbox", testid: "transfer-keep-share", checked: true });

  async function loadShares(): Promise<void> {
    try {
      const { shares } = await api().files.listShares({ path });
      rows.replaceChildren(
        ...shares.map((share) =>
          h(
            "li",
            { testid: "share-row", "data-user": share.username },
            h("span", { class: "grow" }, share.username),
            h("span", { class: "muted" }, share.level === ShareLevel.READ_WRITE ? "read-write" : "read"),
            h(
              "button",
              {
                testid: "share-remove",
                type: "button",
                onclick: () =>
                  run(async () => {
                    await api().files.unshare({ path, username: share.username });
                    await loadShares();
                  }),
              },
              "Remove",
            ),
          ),
        ),
      );
      if (shares.length === 0) rows.append(h("li", { class: "muted" }, "Not shared with anyone yet."));
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  const suggest = debounce(async () => {
    const query = user.value.trim() || transferUser.value.trim();
    if (!query) return;
    try {
      const { users } = await api().files.searchUsers({ query });
      suggestions.replaceChildren(...users.map((u) => h("option", { value: u.username })));
    } catch {
      // Suggestions are a convenience; typing the name works without them.
    }
  }, 200);
  user.addEventListener("input", suggest);
  transferUser.addEventListener("input", suggest);

  const add = () =>
    run(async () => {
      const username = user.value.trim();
      if (!username) return;
      await api().files.share({ path, username, level: LEVEL_NAMES[level.value] });
      user.value = "";
      await loadShares();
    });
  user.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      add();
    }
  });

  visibility.addEventListener("change", () =>
    run(async () => {
      const wanted = visibility.checked;
      try {
        await api().files.setVisibility({ path, visibility: wanted ? Visibility.PUBLIC : Visibility.PRIVATE });
        toast(wanted ? `${entry.name} is readable by every user` : `${entry.name} is private`);
        changed();
      } catch (err) {
        visibility.checked = !wanted;
        throw err;
      }
    }),
  );

  const transfer = () =>
    run(async () => {
      const newOwner = transferUser.value.trim();
      if (!newOwner) return;
      const result = await api().files.transferOwnership({
        path,
        newOwner,
        keepShareForPreviousOwner: keepShare.checked,
      });
      toast(
        result.pending
          ? `${entry.name} is offered to ${newOwner}; it changes hands once they accept`
          : `${entry.name} now belongs to ${newOwner} (${plural(result.transferredEntries, "entry", "entries")})`,
      );
      transferUser.value = "";
      changed();
      await loadShares();
    });

  body.append(
    h("h3", {}, "People"),
    rows,
    h(
      "div",
      { class: "inline-form" },
      user,
      suggestions,
      level,
      h("button", { testid: "share-add", type: "button", class: "primary", onclick: add }, "Share"),
    ),
    h("h3", {}, "Visibility"),
    h("label", { class: "check" }, visibility, "Public: every user of this server can read it"),
    h("h3", {}, "Owner"),
    h("p", { class: "muted" }, `Owned by ${entry.owner}.`),
    h(
      "div",
      { class: "inline-form" },
      transferUser,
      h("button", { testid: "transfer-submit", type: "button", onclick: transfer }, "Transfer ownership"),
    ),
    h("label", { class: "check" }, keepShare, "Keep read-write access for me"),
  );
  void loadShares();
}

/** Runs an action, reporting a failure in the toast. */
function run(action: () => Promise<void>): void {
  action().catch((err) => toast(errorText(err), "error"));
}
