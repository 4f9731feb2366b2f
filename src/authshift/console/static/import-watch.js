// Watches a running import on its console page: polls the job's live.json every 2 seconds and
// updates the percentage, the time left and the counts; reloads the page once the job is over
// (to show its failures and actions). A file, not inline script: CSP script-src 'self'.
"use strict";
(function () {
  function fmt(n) { return Number(n).toLocaleString("en-US"); }
  function poll() {
    var live = document.getElementById("live");
    fetch(live.getAttribute("data-live-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (d) {
        ["state", "percent_text", "left_text"].forEach(function (k) {
          live.querySelector('[data-live="' + k + '"]').textContent = d[k];
        });
        document.getElementById("bar").value = d.percent || 0;
        Object.keys(d.counts).forEach(function (k) {
          var cell = live.querySelector('[data-count="' + k + '"]');
          if (cell) { cell.textContent = fmt(d.counts[k]); }
        });
        if (d.finished) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, 1000); });
})();
