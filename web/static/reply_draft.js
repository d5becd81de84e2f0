/* Aftercare agent workspace: the reply being typed is never lost.
 *
 * The server sends a refused reply back in the editor with the reason beside it. Some errors
 * cannot come back as this page: the database busy for longer than its timeout (503), a form
 * that expired (403), a dropped connection. So the editor's text is kept in this tab's
 * sessionStorage while it is typed and when it is sent, and put back when the ticket page opens
 * again with an empty editor (after the agent goes back, or reloads). Once the thread shows the
 * reply as sent, the copy is dropped.
 * A file, not inline script: the Content-Security-Policy allows scripts from /static only. */
(function () {
  "use strict";

  var form = document.querySelector("[data-reply-form]");
  if (!form || !window.sessionStorage) { return; }
  var key = form.getAttribute("data-draft-key");
  var editor = form.querySelector("textarea[name=body]");
  if (!key || !editor) { return; }

  function normalise(text) { return (text || "").replace(/\s+/g, " ").trim(); }

  function saved() {
    try { return window.sessionStorage.getItem(key) || ""; } catch (error) { return ""; }
  }

  function save() {
    try {
      if (normalise(editor.value)) { window.sessionStorage.setItem(key, editor.value); }
      else { window.sessionStorage.removeItem(key); }
    } catch (error) { /* storage full or blocked: the server still sends refused replies back */ }
  }

  function forget() {
    try { window.sessionStorage.removeItem(key); } catch (error) { /* nothing kept */ }
  }

  function alreadySent(text) {
    var wanted = normalise(text);
    var bodies = document.querySelectorAll(".thread .message .body");
    for (var i = bodies.length - 1; i >= 0; i -= 1) {
      if (normalise(bodies[i].textContent) === wanted) { return true; }
    }
    return false;
  }

  function restore() {
    var text = saved();
    if (!normalise(text)) { return; }
    if (alreadySent(text)) { forget(); return; }
    if (!normalise(editor.value)) {
      editor.value = text;
      editor.setAttribute("data-restored", "true");
    }
  }

  restore();
  editor.addEventListener("input", save);
  // A canned reply or a suggestion inserted by script changes the value without an input event.
  editor.addEventListener("change", save);
  form.addEventListener("submit", save);
  // Coming back with the browser's Back button may show the page from its cache, script state
  // and all; look again.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { restore(); } });
}());
