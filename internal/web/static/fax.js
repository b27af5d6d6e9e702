// Keeps the status of a fax that is still on its way up to date without
// reloading the page. The page works without it: it then offers a link.
(function () {
  "use strict";
  var box = document.getElementById("fax");
  if (!box || box.dataset.final === "true") return;
  var id = box.dataset.fax;
  var status = document.getElementById("fax-status");
  var reasonRow = document.getElementById("fax-reason-row");
  var reason = document.getElementById("fax-reason");
  var pages = document.getElementById("fax-pages");
  var attempts = document.getElementById("fax-attempts");
  var delay = 1000;
  function poll() {
    fetch("/faxes/" + id + "/status", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        status.textContent = s.label;
        status.className = "status status-" + s.status;
        pages.textContent = s.pages;
        if (attempts) attempts.textContent = s.attempts;
        if (s.reason) { reason.textContent = s.reason; reasonRow.hidden = false; }
        if (!s.final) { delay = Math.min(delay * 1.5, 10000); setTimeout(poll, delay); }
        else { box.dataset.final = "true"; }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, delay);
})();
