/* Review workspace: a "tick all" box for long lists of suggestions or comments. Progressive enhancement only:
   without JavaScript every box can still be ticked by hand. Its words come from the page (data-tick-all holds
   them with {count}, already in the page's language). */
(function () {
  "use strict";
  document.querySelectorAll("fieldset[data-tick-all]").forEach(function (fieldset) {
    var boxes = fieldset.querySelectorAll("input[type=checkbox]");
    if (boxes.length < 2) { return; }
    var wrap = document.createElement("div");
    wrap.className = "choice";
    var all = document.createElement("input");
    all.type = "checkbox";
    all.id = fieldset.id + "-all";
    var label = document.createElement("label");
    label.htmlFor = all.id;
    var words = fieldset.getAttribute("data-tick-all") || "Tick all {count}";
    label.textContent = words.replace("{count}", boxes.length.toLocaleString(document.documentElement.lang || "en"));
    wrap.appendChild(all);
    wrap.appendChild(label);
    fieldset.insertBefore(wrap, fieldset.querySelector("legend").nextSibling);
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });
  // Merging and deleting a theme cannot be undone from the page: ask first (the question is in the page's
  // language, in data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
}());
