// /admin: the administrators' user list (AdminService).

import { api, errorText } from "../api";
import type { App, View } from "../app";
import { h, toast } from "../dom";
import { formatDate } from "../format";
import type { User } from "../gen/cordvault/v1/common_pb";
import { promptDialog } from "./dialogs";
import { header } from "./header";

export function adminView(app: App): View {
  const rows = h("div", { class: "user-list" });
  const name = h("input", { testid: "create-user-name", placeholder: "username", autocomplete: "off", autocapitalize: "none" });
  const password = h("input", { testid: "create-user-password", type: "password", placeholder: "password (8+ characters)", autocomplete: "new-password" });
  const isAdmin = h("input", { testid: "create-user-admin", type: "checkbox" });

  async function load(): Promise<void> {
    try {
      const { users } = await api().admin.listUsers({});
      rows.replaceChildren(...users.map(row));
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  /** Runs an admin call, then reloads the list; failures go to the toast. */
  async function act(action: () => Promise<unknown>, done?: string): Promise<void> {
    try {
      await action();
      if (done) toast(done);
    } catch (err) {
      toast(errorText(err), "error");
    }
    await load();
  }

  function row(user: User): HTMLElement {
    const me = user.username === app.user?.username;
    const remove = async () => {
      const heir = await promptDialog({
        title: `Delete ${user.username}?`,
        message: "Their files go to the user named below. Leave it empty to delete their files.",
        label: "Give their files to",
        value: app.user?.username ?? "",
        okText: "Delete user",
      });
      if (heir === null) return;
      const files = heir.trim()
        ? { case: "transferFilesTo" as const, value: heir.trim() }
        : { case: "deleteFiles" as const, value: true };
      await act(() => api().admin.deleteUser({ username: user.username, files }), `Deleted ${user.username}`);
    };
    const resetPassword = async () => {
      const password = await promptDialog({ title: `New password for ${user.username}`, label: "Password", type: "password", okText: "Set password" });
      if (!password) return;
      await act(() => api().admin.resetPassword({ username: user.username, newPassword: password }), `Password of ${user.username} changed`);
    };
    return h(
      "div",
      { testid: "user-row", class: "user-row", "data-name": user.username, "data-admin": String(user.isAdmin) },
      h(
        "div",
        { class: "grow" },
        h("span", { class: "entry-name" }, user.username),
        user.isAdmin ? h("span", { class: "badge" }, "admin") : null,
        h("div", { class: "muted small" }, `since ${formatDate(user.createdAtMs)}`),
      ),
      h(
        "button",
        {
          testid: "user-admin-toggle",
          type: "button",
          disabled: me,
          title: me ? "You cannot demote yourself" : "",
          onclick: () => act(() => api().admin.setAdmin({ username: user.username, isAdmin: !user.isAdmin })),
        },
        user.isAdmin ? "Revoke admin" : "Make admin",
      ),
      h("button", { testid: "user-reset-password", type: "button", onclick: resetPassword }, "Reset password"),
      h("button", { testid: "user-delete", type: "button", class: "danger", disabled: me, onclick: remove }, "Delete"),
    );
  }

  const form = h(
    "form",
    {
      class: "inline-form create-user",
      onsubmit: async (event: SubmitEvent) => {
        event.preventDefault();
        const username = name.value.trim();
        await act(async () => {
          await api().admin.createUser({ username, password: password.value, isAdmin: isAdmin.checked });
          name.value = password.value = "";
          isAdmin.checked = false;
        }, `Created ${username}`);
      },
    },
    name,
    password,
    h("label", { class: "check" }, isAdmin, "admin"),
    h("button", { testid: "create-user-submit", type: "submit", class: "primary" }, "Create user"),
  );

  void load();
  const main = h("main", { class: "admin" }, h("div", { class: "files-bar" }, h("h1", {}, "Users")), form, rows);
  return { el: h("div", { class: "page" }, header(app, "admin"), main) };
}
