/* Aftercare customer portal: small enhancements around search, articles and the contact form.
 * A file, not inline script: the Content-Security-Policy allows scripts from /static only.
 * Everything here is optional; the pages work without it (plain forms and links). */
(function () {
  "use strict";

  function resultLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("#search-results .result-title"));
  }

  // Down from the search box goes to the first result; Up/Down move between results; Escape returns.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var box = document.getElementById("q");
    var links = resultLinks();
    var index = links.indexOf(document.activeElement);
    if (event.target === box && event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[0].focus();
    } else if (index >= 0 && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      var next = index + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0 && box) { box.focus(); } else if (next < links.length) { links[next].focus(); }
    } else if (index >= 0 && event.key === "Escape" && box) {
      box.focus();
    }
  });

  // Coming from an article's "Contact support": name the article in an empty subject.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "deflection-panel") { return; }
    var source = target.querySelector("[data-prefill-subject]");
    var subject = document.getElementById("subject");
    if (source && subject && !subject.value) {
      subject.value = source.getAttribute("data-prefill-subject");
    }
  });

  // "No, back to my message": the browser's Back keeps what the customer typed; a link would not.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("[data-back-to-form]") : null;
    if (!link || !document.referrer || window.history.length < 2) { return; }
    try {
      var from = new URL(document.referrer);
      if (from.origin === window.location.origin && from.pathname === "/contact") {
        event.preventDefault();
        window.history.back();
      }
    } catch (error) { /* not a URL we know: follow the link */ }
  });
})();
