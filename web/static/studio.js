/* Aftercare knowledge studio: small keyboard help for the article and translation editors.
 * A file, not inline script: the Content-Security-Policy allows scripts from /static only.
 * The live preview itself is htmx (hx-post on the textarea); the pages work without this file. */
(function () {
  "use strict";

  // Ctrl+S / Cmd+S saves the editor the focus is in, instead of saving the web page to disk.
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== "s") { return; }
    var form = event.target && event.target.closest ? event.target.closest("form.studio-editor") : null;
    form = form || document.querySelector("form.studio-editor");
    if (!form) { return; }
    event.preventDefault();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });

  // Tell screen-reader users that the preview followed their typing, once per pause.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "preview") {
      target.setAttribute("data-updated", String(Date.now()));
    }
  });
})();
