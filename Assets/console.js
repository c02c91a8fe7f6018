// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});

// A form shown again with errors: each wrong field says so to assistive technology (aria-invalid, its message
// as its description), and the keyboard starts at the first of them (the page shows the messages without this).
document.addEventListener("DOMContentLoaded", () => {
  const invalid = [...document.querySelectorAll("input.is-invalid, select.is-invalid, textarea.is-invalid")];
  invalid.forEach((field, index) => {
    field.setAttribute("aria-invalid", "true");
    const message = field.parentElement.querySelector(".invalid-feedback");
    if (!message) return;
    if (!message.id) message.id = `${field.id || "field"}-message-${index}`;
    const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(message.id)) field.setAttribute("aria-describedby", [...described, message.id].join(" "));
  });
  if (invalid.length && !document.activeElement?.matches("input, select, textarea")) invalid[0].focus();
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
      if (!response.ok) return;
      // Update the live region in place (a replaced node is not announced) and keep the keyboard focus
      // on the control it was on (Submit lives inside the estimate).
      const region = document.getElementById("estimate");
      const focusedID = region.contains(document.activeElement) ? document.activeElement.id : "";
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("estimate");
      if (!fresh) return;
      region.className = fresh.className;
      region.replaceChildren(...fresh.childNodes);
      if (focusedID) document.getElementById(focusedID)?.focus();
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

// Branding page: the preview follows the typed name and colour, and a colour picker joins the text field (the form works without this).
(() => {
  const bar = document.querySelector("[data-brand-preview-bar]");
  const form = document.getElementById("branding-form");
  if (!bar || !form) return;
  const name = form.querySelector("[data-brand-preview=name]");
  const color = form.querySelector("[data-brand-preview=color]");
  const picker = form.querySelector("[data-brand-picker]");
  // The server's rule (BrandColor.text): white or black text, whichever contrasts more (WCAG).
  const luminance = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const dark = 0; // black
  const paint = () => {
    document.getElementById("brand-preview-name").textContent = name.value.trim() || "—";
    const hex = color.value.trim().toLowerCase();
    if (!/^#[0-9a-f]{6}$/.test(hex)) return;
    const l = luminance(hex);
    const light = 1.05 / (l + 0.05) >= (l + 0.05) / (dark + 0.05);
    bar.style.backgroundColor = hex;
    bar.classList.toggle("navbar-dark", light);
    bar.classList.toggle("navbar-light", !light);
    const text = document.getElementById("brand-preview-text");
    text.classList.toggle("text-light", light);
    text.classList.toggle("text-dark", !light);
    if (picker) picker.value = hex;
  };
  if (picker && !picker.disabled) {
    picker.hidden = false;
    picker.addEventListener("input", () => { color.value = picker.value; paint(); });
  }
  form.addEventListener("input", paint);
})();
