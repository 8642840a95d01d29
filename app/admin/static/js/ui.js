// The status line every page reports to, and the wrapper that turns an API error into a message.

import { ApiError } from "./api.js";

const status = document.getElementById("status");

export function notify(message, kind = "ok") {
  status.textContent = message;
  status.className = kind;
}

// Goes to another page of the console, with a message to show there.
let carried = "";

export function goTo(fragment, message) {
  carried = message;
  location.hash = fragment;
}

// What the status line says on arriving at a page: the message carried there, if any.
export function arrived() {
  notify(carried);
  carried = "";
}

// Runs an action of a page: true when it went through (and `done` is shown), false when the API
// refused it (and why is shown in the status line).
export async function attempt(action, done) {
  try {
    await action();
    if (done) notify(done);
    return true;
  } catch (error) {
    notify(describe(error), "error");
    return false;
  }
}

export function describe(error) {
  if (!(error instanceof ApiError)) return String(error);
  const details = (error.body?.details || []).map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
  return `${error.status}: ${error.message}${details ? ` (${details})` : ""}`;
}
