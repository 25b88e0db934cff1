// On a phone, data tables become stacked rows (static/css/app.css); each cell then shows its
// column's heading before the value. This copies the headings into data-label, for the page
// and for every fragment htmx swaps in. Without script the rows still stack, unlabelled.
(function () {
  "use strict";
  // A heading read only by screen readers ("Actions" over a column of buttons) labels no cell.
  function headingText(th) {
    var copy = th.cloneNode(true);
    copy.querySelectorAll(".visually-hidden").forEach(function (e) { e.remove(); });
    return copy.textContent.trim();
  }
  function label(root) {
    root.querySelectorAll("table.data").forEach(function (table) {
      var heads = Array.prototype.map.call(
        table.querySelectorAll("thead th"), headingText);
      if (!heads.length) { return; }
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (!cell.hasAttribute("data-label") && heads[i] && !cell.hasAttribute("colspan")) {
            cell.setAttribute("data-label", heads[i]);
          }
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { label(document); });
  document.addEventListener("htmx:afterSettle", function (event) { label(event.target); });
})();
