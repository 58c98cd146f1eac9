// /login: sign in or register, optionally against another server address.

import { Code, ConnectError } from "@connectrpc/connect";
import { api, errorText, serverAddress, setServerAddress } from "../api";
import type { App, View } from "../app";
import { h } from "../dom";

export function loginView(app: App): View {
  const server = h("input", {
    testid: "server-address",
    // Not type=url: "host:port" without a scheme is accepted too.
    inputmode: "url",
    spellcheck: "false",
    value: serverAddress(),
    placeholder: location.origin,
    autocomplete: "url",
  });
  const username = h("input", { testid: "login-username", autocomplete: "username", required: true, autocapitalize: "none" });
  const password = h("input", { testid: "login-password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { testid: "login-error", class: "error", role: "alert", hidden: true });
  const loginButton = h("button", { testid: "login-submit", type: "submit", class: "primary" }, "Log in");
  const registerButton = h("button", { testid: "register-submit", type: "button" }, "Register");

  async function submit(register: boolean): Promise<void> {
    error.hidden = true;
    loginButton.disabled = registerButton.disabled = true;
    try {
      setServerAddress(server.value);
      const credentials = { username: username.value.trim(), password: password.value };
      if (register) await api().auth.register(credentials);
      const login = await api().auth.login(credentials);
      app.signedIn(login.token, {
        username: login.user?.username ?? credentials.username,
        isAdmin: login.user?.isAdmin ?? false,
      });
    } catch (err) {
      // The server's words say it best here ("wrong username or password").
      error.textContent = err instanceof ConnectError && err.rawMessage && err.code !== Code.Unknown ? capitalize(err.rawMessage) : errorText(err);
      error.hidden = false;
    } finally {
      loginButton.disabled = registerButton.disabled = false;
    }
  }

  registerButton.addEventListener("click", () => {
    if (username.reportValidity() && password.reportValidity()) void submit(true);
  });
  const form = h(
    "form",
    {
      class: "login-card",
      onsubmit: (event: SubmitEvent) => {
        event.preventDefault();
        void submit(false);
      },
    },
    h("h1", {}, h("img", { src: "/favicon.svg", alt: "", width: 28, height: 28 }), "cordvault"),
    h("label", {}, "Server", server),
    h("label", {}, "Username", username),
    h("label", {}, "Password", password),
    error,
    h("div", { class: "login-buttons" }, registerButton, loginButton),
    h("p", { class: "hint" }, "The first account registered on a server becomes its administrator."),
  );
  queueMicrotask(() => username.focus());
  return { el: h("main", { class: "login" }, form) };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
