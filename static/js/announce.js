// Says aloud what an htmx action did. A region swapped into the page is not reliably read out,
// even with role="status", because screen readers watch live regions that already exist. So the
// page keeps one, #announcer in base.html, and after every action (any request but a GET: polls
// and opened forms change the page quietly, unless the control is marked data-announce-results,
// as a filter is) this reads the answer, out-of-band parts included, and puts into it the text
// of each element marked data-announce ("You acknowledged version 2", "Draft saved", "12 members
// in critical") and of a refused form's errors.
(function () {
  "use strict";
  // Marked messages, and the errors Django puts on a form that comes back refused.
  var SAID = "[data-announce], .errorlist";

  function said(html) {
    // A template's content is inert: nothing in it runs or loads.
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var texts = [];
    holder.content.querySelectorAll(SAID).forEach(function (el) {
      var text = el.textContent.replace(/\s+/g, " ").trim();
      if (text && texts.indexOf(text) === -1) { texts.push(text); }
    });
    return texts.join(" ");
  }

  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) { return; }
    // Emptied first, then filled, so the same words after a second action are read again.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 100);
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    var config = detail.requestConfig;
    if (!config || !detail.successful || !detail.xhr) { return; }
    var asked = detail.elt && detail.elt.closest && detail.elt.closest("[data-announce-results]");
    if (config.verb === "get" && !asked) { return; }
    var text = said(detail.xhr.responseText || "");
    if (text) { announce(text); }
  });
})();
