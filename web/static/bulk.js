/* The inbox's bulk actions (agent/_bulk_bar.html).
 * "Select all on this page" also ticks every row's box, so that what is sent is what is seen;
 * without JavaScript the server takes the page's tickets from the form instead.
 * htmx does not swap 4xx answers by default; a refused bulk change answers with the results block
 * and a 4xx status, so that the reason appears above the list.
 * A file, not inline script: the Content-Security-Policy allows scripts from /static only. */
(function () {
  "use strict";
  var SHOWN = { 403: true, 409: true, 422: true };
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-select-all]")) return;
    document.querySelectorAll('input[name="ticket_ids"][form="bulk-form"]').forEach(function (row) {
      row.checked = box.checked;
    });
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (SHOWN[detail.xhr.status] && detail.elt && detail.elt.closest && detail.elt.closest("[data-bulk-form]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
