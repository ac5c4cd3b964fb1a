// The two account pages (verify-email, reset-password): post the link's token, with the form's fields, to the API
// route the form names, and say what happened. Plain JavaScript, no framework, nothing stored.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("account-form");
  const result = document.getElementById("result");
  const token = new URLSearchParams(window.location.search).get("token") ?? "";

  const say = (text, ok) => {
    result.textContent = text;
    result.className = ok ? "ok" : "error";
    result.hidden = false;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { token };
    const password = form.elements.namedItem("password");
    if (password) {
      if (password.value !== document.getElementById("password-again").value) {
        say("The two passwords differ.", false);
        return;
      }
      body.password = password.value;
    }

    const submit = document.getElementById("submit");
    submit.disabled = true;
    try {
      const response = await fetch(new URL(form.dataset.route, document.baseURI), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (response.ok) {
        form.hidden = true;
        say(form.dataset.done, true);
        return;
      }

      const problem = await response.json().catch(() => ({}));
      const details = Object.values(problem.errors ?? {}).flat();
      say(details.length > 0 ? details.join(" ") : (problem.detail ?? problem.title ?? `The request failed (${response.status}).`), false);
    } catch {
      say("The server could not be reached. Try again.", false);
    } finally {
      submit.disabled = false;
    }
  });
});
