/* Community forum: let htmx show form errors.
 * htmx does not swap 4xx answers by default; the forum answers a refused reply or vote with the
 * same fragment and a 409/422/429 status, so that the error is shown where the form is.
 * A file, not inline script: the Content-Security-Policy allows scripts from /static only. */
(function () {
  "use strict";
  var SHOWN = { 409: true, 422: true, 429: true };
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (SHOWN[detail.xhr.status] && detail.elt && detail.elt.closest && detail.elt.closest("[data-forum]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
