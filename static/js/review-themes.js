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
  // Merging and deleting a theme move many codes at once: ask first. The question is in the page's language,
  // in data-confirm; a {target} in it becomes the option chosen in the form's list, so the reviewer reads
  // which theme the comments will go to.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var question = form.getAttribute("data-confirm");
      var list = form.querySelector("select");
      if (list && list.selectedIndex >= 0) {
        question = question.replace("{target}", list.options[list.selectedIndex].text.trim());
      }
      if (!window.confirm(question)) { event.preventDefault(); }
    });
  });
}());
