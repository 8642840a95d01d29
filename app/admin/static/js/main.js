// The console's shell: sign-in, the navigation, and the page named by the URL's fragment.

import { ApiError, forget, signIn, signOut, signedIn } from "./api.js";
import { clear, field, h } from "./dom.js";
import { can, loadMe, session } from "./session.js";
import { arrived, describe, notify } from "./ui.js";
import * as audit from "./pages/audit.js";
import * as history from "./pages/history.js";
import * as keys from "./pages/keys.js";
import * as roles from "./pages/roles.js";
import * as users from "./pages/users.js";

const main = document.getElementById("main");

// The pages, by the first part of the fragment (`#/users/3`); each exports `render(view, args)`.
const PAGES = {
  users: { module: users, label: "Users", visible: () => can("users", "read") },
  roles: { module: roles, label: "Roles", visible: () => can("roles", "read") },
  audit: { module: audit, label: "Audit", visible: () => can("audit", "read") },
  history: { module: history, label: "History", visible: () => can("audit", "read") },
  keys: { module: keys, label: "API keys", visible: () => true },
};

function showSignIn(message) {
  document.getElementById("top").hidden = true;
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    { class: "card sign-in", on: { submit: (event) => submitSignIn(event, email.value, password.value) } },
    h("h1", {}, "Sign in"),
    field("Email", email),
    field("Password", password),
    h("button", { type: "submit" }, "Sign in"),
  );
  clear(main, form);
  notify(message || "", message ? "error" : "ok");
  email.focus();
}

async function submitSignIn(event, email, password) {
  event.preventDefault();
  try {
    await signIn(email, password);
  } catch (error) {
    showSignIn(error instanceof ApiError && error.status === 401 ? "Wrong email or password." : describe(error));
    return;
  }
  notify("");
  await start();
}

async function start() {
  if (!signedIn()) return showSignIn();
  try {
    await loadMe();
  } catch {
    forget();
    return showSignIn();
  }
  const me = session.me;
  document.getElementById("top").hidden = false;
  document.getElementById("who").textContent = `${me.email}${me.is_superuser ? " (superuser)" : ""}`;
  const visible = Object.entries(PAGES).filter(([, page]) => page.visible());
  clear(
    document.getElementById("nav"),
    visible.map(([name, page]) => h("a", { href: `#/${name}`, "data-page": name }, page.label)),
  );
  if (!location.hash && visible.length) location.hash = `#/${visible[0][0]}`;
  else await route();
}

let rendering = null;

async function route() {
  if (!session.me) return;
  const [name, ...args] = location.hash.replace(/^#\/?/, "").split("?")[0].split("/");
  const page = PAGES[name];
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!page || !page.visible()) {
    clear(main, h("p", {}, "Choose a page above."));
    return;
  }
  // The page is drawn aside and shown only if no later navigation overtook it.
  const view = h("div");
  const current = (rendering = view);
  clear(main, h("p", { class: "muted" }, "Loading…"));
  main.setAttribute("aria-busy", "true");
  try {
    await page.module.render(view, args.map(decodeURIComponent));
  } catch (error) {
    clear(view, h("h1", {}, page.label), h("p", { class: "error" }, describe(error)));
  }
  if (rendering !== current) return;
  clear(main, view);
  main.dataset.route = location.hash;
  main.removeAttribute("aria-busy");
}

document.getElementById("sign-out").addEventListener("click", async () => {
  await signOut().catch(() => undefined);
  session.me = null;
  location.hash = "";
  showSignIn();
});
window.addEventListener("hashchange", () => {
  arrived();
  route();
});
window.addEventListener("console:signed-out", () => {
  session.me = null;
  showSignIn("Your session ended; please sign in again.");
});
start();
