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
      var left = limit - Array.from(area.value.normalize ? area.value.normalize("NFC") : area.value).length;  // as the server counts
      var key = left >= 0 ? "data-left-" + form(left) : "data-over-" + form(-left);
      var text = counter.getAttribute(key);
      if (text) { counter.textContent = fill(text, {left: left, over: -left, limit: limit}); }
      counter.classList.toggle("over", left < 0);
      // Announce only near the limit, so screen reader users are not interrupted on every key press.
      if (left < limit / 10) { counter.setAttribute("aria-live", "polite"); } else { counter.removeAttribute("aria-live"); }
    }
    area.addEventListener("input", update);
    window.addEventListener("pageshow", update);  // after Back, the browser may have put text back since
    update();
  });
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link to a field lands on the field itself, which scrolls its question and error message off the top of
    // the screen. Show the question (its legend or label) first, then put the focus in the field.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      var field = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
      if (!field) { return; }
      var fieldset = field.closest("fieldset");
      var label = document.querySelector("label[for='" + field.id + "']");
      var question = (fieldset && fieldset.querySelector("legend")) || label;
      if (!question) { return; }
      event.preventDefault();
      question.scrollIntoView();
      window.scrollBy(0, -16);  // a little room above the question
      field.focus({preventScroll: true});
      if (history.replaceState) { history.replaceState(history.state, "", "#" + field.id); }
    });
  }

  // "Prefer not to say" in a question where several groups can be ticked: it stands alone, so ticking it clears
  // the groups and ticking a group clears it (the server keeps only "Prefer not to say" when both come).
  document.querySelectorAll("input[type=checkbox][value=prefer_not]").forEach(function (preferNot) {
    var group = preferNot.closest("fieldset");
    if (!group) { return; }
    group.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox" || !box.checked) { return; }
      group.querySelectorAll("input[type=checkbox]").forEach(function (other) {
        if (other !== box && (box === preferNot || other === preferNot)) { other.checked = false; }
      });
    });
  });

  // A shared school computer: after someone sends their answers, Back must not show them to the next person.
  // Browsers put typed answers back into a page reached with Back. Each form page remembers (in its own history
  // entry) when it was opened, and the thanks page notes (for this tab) when answers were last sent; a form
  // opened before that is the one that was sent, so it is emptied. A form opened since keeps what it holds,
  // so someone who steps away to read the privacy page and comes Back finds their text still there.
  var responseForm = document.querySelector("form[data-response-form]");
  var storage = null;
  try { storage = window.sessionStorage; } catch (e) { storage = null; }
  if (document.querySelector("[data-answers-sent]") && storage) {
    storage.setItem("engage-sent-at", String(Date.now()));
  }
  if (responseForm && storage && window.history && history.replaceState) {
    var state = history.state || {};
    if (!state.engageOpenedAt) {
      try { history.replaceState(Object.assign({}, state, {engageOpenedAt: Date.now()}), ""); } catch (e) { /* ignore */ }
    }
    var sentBefore = function () {
      var sentAt = Number(storage.getItem("engage-sent-at") || 0);
      var openedAt = (history.state || {}).engageOpenedAt || 0;
      return Boolean(sentAt && openedAt && openedAt < sentAt);
    };
    var empty = function () {
      responseForm.reset();
      responseForm.querySelectorAll("textarea").forEach(function (area) {
        area.dispatchEvent(new Event("input"));  // the character counts follow
      });
    };
    var sent = sentBefore();
    if (sent) { empty(); }
    // Browsers restore typed values during or after loading, depending on the page: empty it again once shown.
    // Emptied, the page is a new form from then on: whoever types in it keeps their text on a later Back.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { sent = sentBefore(); }
      if (!sent) { return; }
      empty();
      sent = false;
      try { history.replaceState(Object.assign({}, history.state, {engageOpenedAt: Date.now()}), ""); } catch (e) { /* ignore */ }
    });
  }
})();
