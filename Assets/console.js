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

// Upgrade / Downgrade: sliders and number fields move together, and the estimate follows (the form works without this).
(() => {
  const form = document.getElementById("change-form");
  if (!form) return;
  let timer;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = new URLSearchParams(new FormData(form));
      query.set("fragment", "1");
      const response = await fetch(`${form.dataset.estimate}?${query}`, { headers: { Accept: "text/html" } });
      if (response.ok) document.getElementById("estimate").outerHTML = await response.text();
    }, 150);
  };
  form.addEventListener("input", (event) => {
    const partner = event.target.dataset.pair && document.getElementById(event.target.dataset.pair);
    if (partner) partner.value = event.target.value;
    refresh();
  });
  form.addEventListener("change", refresh);
})();

// Invoices: the Print button (the page prints well without it, from the browser's menu).
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
