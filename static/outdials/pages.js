// Progressive enhancement only: every page works without this file.
"use strict";

// A "select all on this page" box above the targets' checkboxes.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.bulk").forEach(function (form) {
    var head = form.querySelector("thead th.cell-check");
    var boxes = form.querySelectorAll('tbody input[type="checkbox"][name="ids"]');
    if (!head || boxes.length === 0) {
      return;
    }
    var all = document.createElement("input");
    all.type = "checkbox";
    all.setAttribute("aria-label", "Select every target on this page");
    head.textContent = "";
    head.appendChild(all);
    all.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = all.checked;
      });
    });
    form.addEventListener("change", function (event) {
      if (event.target !== all) {
        var checked = form.querySelectorAll('tbody input[name="ids"]:checked').length;
        all.checked = checked === boxes.length;
        all.indeterminate = checked > 0 && checked < boxes.length;
      }
    });
  });
});
