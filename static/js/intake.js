/* Progressive enhancement for the response form: a live character count. The form works without it. */
(function () {
  "use strict";
  function plural(n) { return n === 1 ? "" : "s"; }
  document.querySelectorAll("[data-count-for]").forEach(function (counter) {
    var area = document.getElementById(counter.getAttribute("data-count-for"));
    if (!area) { return; }
    var limit = parseInt(area.getAttribute("data-limit"), 10);
    function update() {
      var used = area.value.length;
      var left = limit - used;
      counter.textContent = left >= 0
        ? left.toLocaleString() + " character" + plural(left) + " left (limit " + limit.toLocaleString() + ")."
        : "Too long by " + (-left).toLocaleString() + " character" + plural(-left) + ". The limit is " + limit.toLocaleString() + ".";
      counter.classList.toggle("over", left < 0);
      // Announce only near the limit, so screen reader users are not interrupted on every key press.
      if (left < limit / 10) { counter.setAttribute("aria-live", "polite"); } else { counter.removeAttribute("aria-live"); }
    }
    area.addEventListener("input", update);
    update();
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
