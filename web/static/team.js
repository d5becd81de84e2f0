/* The team page (/admin/team): let htmx show refusals.
 * htmx does not swap 4xx answers by default; the team page answers a refused invitation or change
 * with the same block and a 409 or 422 status, so that the message appears where the forms are.
 * A file, not inline script: the Content-Security-Policy allows scripts from /static only. */
(function () {
  "use strict";
  var SHOWN = { 409: true, 422: true };
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (SHOWN[detail.xhr.status] && detail.elt && detail.elt.closest && detail.elt.closest("[data-team]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
