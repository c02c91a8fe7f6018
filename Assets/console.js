// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});

// Plan editor: check each resource row's numbers as they are typed (the server checks again).
document.addEventListener("input", (event) => {
  const row = event.target.closest("[data-plan-row]");
  if (!row) return;
  const read = (selector) => {
    const text = row.querySelector(selector).value.trim();
    return /^-?\d+$/.test(text) ? Number(text) : NaN;
  };
  const included = read("[data-included]"), min = read("[data-min]"), max = read("[data-max]");
  const mark = (selector, message) => {
    const input = row.querySelector(selector);
    input.classList.toggle("is-invalid", Boolean(message));
    input.title = message || "";
  };
  mark("[data-min]", Number.isNaN(min) || min < 0 ? "The minimum is 0 or more." : "");
  mark("[data-max]", Number.isNaN(max) || max < -1 || (max !== -1 && max < min) ? "The maximum is −1 (unlimited) or at least the minimum." : "");
  mark("[data-included]", Number.isNaN(included) || !(included === -1 || included === 0 || included >= min)
    ? "Included is −1 (unlimited), 0, or at least the minimum." : "");
});
