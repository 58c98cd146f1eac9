// Tiny DOM helpers: an element builder, SVG builder and the toast.

type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (event: any) => void;
export type Props = Record<string, string | number | boolean | Handler | null | undefined>;

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function applyProps(el: Element, props: Props | undefined): void {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "testid") {
      el.setAttribute("data-testid", String(value));
    } else if (key === "value" && "value" in el) {
      // A property, not an attribute, so that it is the live value.
      (el as HTMLInputElement).value = String(value);
    } else if (key === "checked" && el instanceof HTMLInputElement) {
      el.checked = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

/** h("button", { class: "x", onclick: ... }, "text") builds an element. Keys "onX" add listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag: string, props?: Props, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  applyProps(el, props);
  append(el, children);
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

export function byTestId<T extends Element = HTMLElement>(root: ParentNode, id: string): T | null {
  return root.querySelector<T & Element>(`[data-testid="${id}"]`);
}

let toastEl: HTMLElement | null = null;
let toastTimer = 0;

/** The single toast element; it stays in the DOM, shown as a popover when there is news. */
export function toastElement(): HTMLElement {
  if (!toastEl) {
    toastEl = h("div", { testid: "toast", class: "toast", role: "status", popover: "manual" });
    document.body.appendChild(toastEl);
  }
  return toastEl;
}

/** Shows a message; a new one replaces the old one. */
export function toast(message: string, kind: "info" | "error" = "info"): void {
  const el = toastElement();
  el.textContent = message;
  el.dataset.kind = kind;
  // Showing it again puts it on top of any open modal dialog (top layer).
  if (el.matches(":popover-open")) el.hidePopover();
  el.showPopover();
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => el.hidePopover(), kind === "error" ? 8000 : 4000);
  el.onclick = () => el.hidePopover();
}

/** Calls `fn` at most once per `ms`, with the latest arguments, trailing. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer = 0;
  return (...args: A) => {
    clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
