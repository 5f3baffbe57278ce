import { ApiError, get, session } from "./api.js";
import { add, h } from "./dom.js";

export function renderSignIn(main, { next, onSignedIn }) {
  const input = h("input", { id: "api-key", name: "apiKey", type: "password", autocomplete: "off", required: true, "aria-describedby": "api-key-help" });
  const message = h("p", { id: "signin-error", role: "alert", class: "error-text" });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "signin card", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to the syncplane console"),
    h("div", { class: "field" },
      h("label", { for: "api-key" }, "API key"),
      input,
      h("p", { id: "api-key-help", class: "note" },
        "An Administrator key can trigger and cancel runs; a Viewer key sees everything and changes nothing. ",
        "The key is kept in this browser tab's session only.")),
    message,
    button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const key = input.value.trim();
    if (!key) { message.textContent = "Enter an API key."; input.focus(); return; }
    button.disabled = true;
    session.key = key;
    try {
      const caller = await get("/api/v1/console/caller");
      onSignedIn(caller, next);
    } catch (err) {
      session.key = null;
      if (err instanceof ApiError && err.status === 401) message.textContent = `That API key was refused: ${err.message}.`;
      else if (err instanceof ApiError && err.status === 429) message.textContent = `Too many failed sign-ins from here; wait a little and try again (${err.message}).`;
      else message.textContent = `Could not sign in: ${err.message || err}`;
      input.focus();
      input.select();
    } finally {
      button.disabled = false;
    }
  });
  add(main, form);
  input.focus();
}
