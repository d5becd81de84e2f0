/* Aftercare agent workspace: keyboard navigation and inserting canned replies.
 * A file, not inline script: the Content-Security-Policy allows scripts from /static only.
 * Everything here is an enhancement; the pages work without it. */
(function () {
  "use strict";

  function isTyping(element) {
    if (!element) { return false; }
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
  }

  function moveFocus(step) {
    var links = rowLinks();
    if (!links.length) { return false; }
    var index = links.indexOf(document.activeElement);
    var next = index < 0 ? (step > 0 ? 0 : links.length - 1)
                         : Math.min(links.length - 1, Math.max(0, index + step));
    links[next].focus();
    links[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    var target = event.target;
    var search = document.querySelector("[data-search]");

    if (target === search) {
      // From the search box, Down goes to the first result and Escape leaves the box.
      if (event.key === "ArrowDown" && moveFocus(1)) { event.preventDefault(); }
      if (event.key === "Escape") { search.blur(); }
      return;
    }
    if (isTyping(target)) { return; }

    if (event.key === "/" && search) {
      event.preventDefault();
      search.focus();
      search.select();
    } else if (event.key === "j" || event.key === "ArrowDown") {
      if (moveFocus(1)) { event.preventDefault(); }
    } else if (event.key === "k" || event.key === "ArrowUp") {
      if (moveFocus(-1)) { event.preventDefault(); }
    } else if (event.key === "r") {
      var editor = document.querySelector("[data-reply-editor]");
      if (editor) { event.preventDefault(); editor.focus(); }
    }
  });

  // Remember where the caret was in the reply editor, so that "Insert" puts text there.
  document.addEventListener("focusout", function (event) {
    var editor = event.target;
    if (editor && editor.matches && editor.matches("[data-reply-editor]")) {
      editor.setAttribute("data-caret", String(editor.selectionStart));
    }
  });

  function insertIntoEditor(editor, text) {
    var caretAttr = editor.getAttribute("data-caret");
    var caret = caretAttr === null ? editor.value.length : Math.min(Number(caretAttr), editor.value.length);
    var before = editor.value.slice(0, caret);
    var after = editor.value.slice(caret);
    // Keep the inserted reply on its own lines when the editor already holds text.
    var prefix = before && !/\n$/.test(before) ? "\n" : "";
    var suffix = after && !/^\n/.test(after) ? "\n" : "";
    editor.value = before + prefix + text + suffix + after;
    var end = (before + prefix + text).length;
    editor.focus();
    editor.setSelectionRange(end, end);
    editor.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // A button carrying its own text (a suggested reply) inserts it without asking the server.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-insert-text]") : null;
    if (!button) { return; }
    var editor = document.getElementById(button.getAttribute("data-target") || "reply-body");
    if (!editor) { return; }
    insertIntoEditor(editor, button.getAttribute("data-insert-text"));
    var status = document.getElementById(button.getAttribute("data-status") || "");
    if (status) { status.textContent = button.getAttribute("data-inserted-text") || ""; }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-macro-form]")) { return; }
    var select = form.querySelector("select[name=macro]");
    var editor = document.getElementById(form.getAttribute("data-target"));
    if (!select || !editor || !select.value || !window.fetch) { return; }
    event.preventDefault();
    var status = document.getElementById("macro-status");
    var url = form.getAttribute("data-macro-url") + encodeURIComponent(select.value);
    window.fetch(url, { headers: { "Accept": "text/plain" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (text) {
        insertIntoEditor(editor, text);
        if (status) { status.textContent = form.getAttribute("data-inserted-text") || ""; }
      })
      .catch(function () {
        if (status) { status.textContent = form.getAttribute("data-failed-text") || ""; }
      });
  });
})();
