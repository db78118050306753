/* Progressive enhancement for the response form: a live character count. The form works without it.
   The wording comes from the page (data-left-one, data-left-other, data-over-one, data-over-other), already in
   the page's language; numbers and plural forms follow that language too. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  function form(n) { return plurals ? (plurals.select(n) === "one" ? "one" : "other") : (n === 1 ? "one" : "other"); }
  function number(n) { return n.toLocaleString(lang); }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? number(values[key]) : all; });
  }
  document.querySelectorAll("[data-count-for]").forEach(function (counter) {
    var area = document.getElementById(counter.getAttribute("data-count-for"));
    if (!area) { return; }
    var limit = parseInt(area.getAttribute("data-limit"), 10);
    function update() {
      var left = limit - area.value.length;
      var key = left >= 0 ? "data-left-" + form(left) : "data-over-" + form(-left);
      var text = counter.getAttribute(key);
      if (text) { counter.textContent = fill(text, {left: left, over: -left, limit: limit}); }
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
