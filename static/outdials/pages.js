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

// A running job's page: refresh its progress panel in place (without
// JavaScript a <noscript> meta refresh reloads the page); once the job has
// ended, load the page once more for its report.
document.addEventListener("DOMContentLoaded", function () {
  var panel = document.querySelector("[data-job-progress]");
  if (!panel) {
    return;
  }
  var open = ["queued", "running"];
  if (open.indexOf(panel.getAttribute("data-job-progress")) < 0) {
    return;
  }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-job-progress]");
        if (!fresh) {
          return;
        }
        if (open.indexOf(fresh.getAttribute("data-job-progress")) < 0) {
          window.location.reload();
          return;
        }
        panel.replaceWith(fresh);
        panel = fresh;
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
});
