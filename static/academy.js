// Small progressive enhancements; every page works without them.
// Forms marked data-once disable their submit button after the first submit, so that a double click sends
// one request (the server stores a resent form once anyway, by its request key).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
  if (form.dataset.sent === "1") { event.preventDefault(); return; }
  form.dataset.sent = "1";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.setAttribute("aria-disabled", "true");
    button.classList.add("is-sending");
  }
});
// Read-only inputs marked data-copy select their whole text on focus, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.hasAttribute("data-copy")) event.target.select();
});
// The navigation's "Menu" on narrow screens is a <details>: it works without this script, which only adds what a
// menu is expected to do: Escape closes it (the focus goes back to its button), and so does a click outside it.
document.addEventListener("keydown", (event) => {
  const menu = document.querySelector("details.nav-menu[open]");
  if (event.key !== "Escape" || !menu) return;
  menu.open = false;
  menu.querySelector("summary").focus();
});
document.addEventListener("click", (event) => {
  const menu = document.querySelector("details.nav-menu[open]");
  if (menu && !menu.contains(event.target)) menu.open = false;
});
// The module's table of contents comes folded: on a narrow screen it stands above the text, which then starts with
// its title instead of a long list of links. Beside the text, on a wide screen, it is opened; the text does not move.
const toc = document.querySelector(".toc details");
if (toc && window.matchMedia("(min-width: 861px)").matches) toc.open = true;
// A form that came back refused starts with its error summary: focused, so that the page opens where the form is
// (and a screen reader reads what went wrong), however far down a long module page it sits.
const errorSummary = document.querySelector("[data-error-summary]");
if (errorSummary) errorSummary.focus();
// "Copy" buttons (data-copy-target: the id of an input or element holding the text): hidden until this script runs;
// they copy with the clipboard API, or, where that is refused (no HTTPS, no permission), select the text for the
// person to copy. Either way the status beside the button says what happened, and screen readers hear it.
for (const button of document.querySelectorAll("[data-copy-target]")) button.hidden = false;
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy-target]") : null;
  const source = button && document.getElementById(button.dataset.copyTarget);
  if (!source) return;
  const status = button.parentElement.querySelector(".copy-status");
  const text = source instanceof HTMLInputElement ? source.value : source.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
    if (status) status.textContent = "Copied.";
  } catch {
    if (source instanceof HTMLInputElement) {
      source.focus();
      source.select();
    } else {
      window.getSelection().selectAllChildren(source);
    }
    if (status) status.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
  }
});
// A table wider than its box scrolls sideways there, and the keyboard reaches the box by its tabindex="0" (in the
// HTML, so that it works without this script). Where the table fits, as tables laid out as lists on a phone do,
// that would be a tab stop with nothing to do: the box is one only while it scrolls, named by its table.
function tabStopsWhereTablesScroll() {
  for (const box of document.querySelectorAll(".table-scroll")) {
    if (box.scrollWidth > box.clientWidth + 1) {
      const caption = box.querySelector("caption");
      const heading = box.closest("section")?.querySelector("h2");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", `${(caption || heading)?.textContent.trim() || "Table"} (scrolls sideways)`);
    } else {
      for (const name of ["tabindex", "role", "aria-label"]) box.removeAttribute(name);
    }
  }
}
tabStopsWhereTablesScroll();
window.addEventListener("resize", tabStopsWhereTablesScroll);
// On a phone the section's tabs scroll sideways in one row: the current one is brought into view.
document.querySelector('.subnav [aria-current="page"]')?.scrollIntoView({ block: "nearest", inline: "nearest" });
