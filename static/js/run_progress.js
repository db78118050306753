/* Smoother progress for analysis runs: poll the status and reload once finished. The page's meta refresh
   does the same job without JavaScript. */
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var label = box.querySelector("label");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.value = Math.round(s.progress * 100);
        bar.textContent = bar.value + "%";
        label.textContent = s.message;
        if (s.status === "done" || s.status === "failed") { window.location.reload(); } else { setTimeout(poll, 700); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 700);
})();
