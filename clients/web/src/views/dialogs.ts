// Modal dialogs on the native <dialog> element: the generic prompt (new
// folder, rename, move, confirmations), panels with a close button (share,
// links, properties) and the upload conflict question.

import { h } from "../dom";
import type { ConflictAnswer, UploadItem } from "../upload";

function show(dialog: HTMLDialogElement): void {
  document.body.appendChild(dialog);
  dialog.showModal();
}

export interface PromptOptions {
  title: string;
  /** Label of the text input; without it the dialog only asks for confirmation. */
  label?: string;
  value?: string;
  type?: "text" | "password";
  okText?: string;
  message?: string;
}

/** Resolves to the entered text (or "" for a confirmation), or null when cancelled. */
export function promptDialog(options: PromptOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const input = options.label
      ? h("input", {
          testid: "dialog-input",
          type: options.type ?? "text",
          value: options.value ?? "",
          autocomplete: "off",
          "aria-label": options.label,
        })
      : null;
    let result: string | null = null;
    const form = h(
      "form",
      {
        method: "dialog",
        onsubmit: () => {
          result = input ? input.value : "";
        },
      },
      h("h2", {}, options.title),
      options.message ? h("p", {}, options.message) : null,
      input ? h("label", {}, options.label, input) : null,
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { type: "button", testid: "dialog-cancel", onclick: () => dialog.close() }, "Cancel"),
        h("button", { type: "submit", testid: "dialog-ok", class: "primary" }, options.okText ?? "OK"),
      ),
    );
    const dialog = h("dialog", { testid: "dialog", class: "prompt" }, form);
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    show(dialog);
    if (input) {
      input.focus();
      // Select the name without its extension, like file managers do.
      const dot = input.value.lastIndexOf(".");
      input.setSelectionRange(0, dot > 0 ? dot : input.value.length);
    }
  });
}

/** A panel with a title and a close button; returns the dialog and its body. */
export function openPanel(testid: string, title: string, onClose?: () => void): { dialog: HTMLDialogElement; body: HTMLElement } {
  const body = h("div", { class: "panel-body" });
  const dialog = h(
    "dialog",
    { testid, class: "panel" },
    h(
      "header",
      {},
      h("h2", {}, title),
      h("button", { testid: "dialog-close", class: "icon-button", "aria-label": "Close", onclick: () => dialog.close() }, "✕"),
    ),
    body,
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose?.();
  });
  show(dialog);
  return { dialog, body };
}

/** Asks what to do with an upload whose name is taken. Escape means skip. */
export function conflictDialog(item: UploadItem): Promise<ConflictAnswer> {
  return new Promise((resolve) => {
    let answer: ConflictAnswer["choice"] = "skip";
    const applyAll = h("input", { type: "checkbox", testid: "conflict-apply-all" });
    const choose = (choice: ConflictAnswer["choice"]) => () => {
      answer = choice;
      dialog.close();
    };
    const dialog = h(
      "dialog",
      { testid: "conflict-dialog", class: "prompt" },
      h("h2", {}, "File already exists"),
      h("p", {}, h("strong", {}, item.path), " already exists. What should happen?"),
      h("label", { class: "check" }, applyAll, "Apply to all remaining conflicts of this upload"),
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { testid: "conflict-skip", onclick: choose("skip") }, "Skip"),
        h("button", { testid: "conflict-rename", onclick: choose("rename") }, "Keep both"),
        h("button", { testid: "conflict-overwrite", class: "primary", onclick: choose("overwrite") }, "Overwrite"),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve({ choice: answer, applyAll: applyAll.checked });
    });
    show(dialog);
  });
}
