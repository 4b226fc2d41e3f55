/* Upload page: drag and drop; job page: poll progress; charts: hover tooltips.
   Text from the server is only ever set with textContent (never innerHTML). */
(function () {
  "use strict";

  function setupUpload() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("file-input");
    var name = document.getElementById("file-name");
    input.addEventListener("change", function () {
      name.textContent = input.files.length ? input.files[0].name : "";
    });
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    var err = document.getElementById("upload-error");
    form.addEventListener("submit", function (e) {
      var max = parseInt(form.getAttribute("data-max-bytes"), 10);
      if (input.files.length && max && input.files[0].size > max) {
        e.preventDefault();            // the server would refuse it (413): say so before sending
        err.textContent = form.getAttribute("data-too-big");
        err.hidden = false;
      }
    });
    zone.addEventListener("drop", function (e) {
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      input.files = e.dataTransfer.files;
      name.textContent = input.files[0].name;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  }

  function setupProgress() {
    var body = document.body;
    var id = body.getAttribute("data-job-id");
    var status = body.getAttribute("data-job-status");
    var finished = ["done", "invalid", "failed"];
    if (!id || finished.indexOf(status) >= 0) return;
    var order = ["queued", "validating", "solving", "writing", "done"];
    var stage = document.getElementById("stage");
    var detail = document.getElementById("progress-detail");
    var names = {};
    document.querySelectorAll(".stages li").forEach(function (li) { names[li.getAttribute("data-stage")] = li.textContent; });
    var tries = 0;
    function show(s, d) {
      if (stage) stage.textContent = names[s] || s;
      if (detail) detail.textContent = d || "";
      var k = order.indexOf(s);
      document.querySelectorAll(".stages li").forEach(function (li) {
        var j = order.indexOf(li.getAttribute("data-stage"));
        li.className = j === k ? "current" : (j < k ? "past" : "");
      });
    }
    function poll() {
      tries += 1;
      fetch("/api/jobs/" + encodeURIComponent(id), {cache: "no-store"})
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (finished.indexOf(j.status) >= 0) { window.location.reload(); return; }
          show(j.status, j.detail);
          setTimeout(poll, tries < 20 ? 400 : 1500);
        })
        .catch(function () { setTimeout(poll, 2000); });
    }
    setTimeout(poll, 300);
  }

  function setupTooltips() {
    var tip = document.getElementById("tooltip");
    if (!tip) return;
    document.querySelectorAll("[data-tip]").forEach(function (el) {
      el.addEventListener("mousemove", function (e) {
        tip.textContent = el.getAttribute("data-tip");
        tip.hidden = false;
        var w = tip.offsetWidth, h = tip.offsetHeight;      // keep it inside the window
        var x = e.clientX + 12 + w > window.innerWidth ? Math.max(4, e.clientX - 12 - w) : e.clientX + 12;
        var y = e.clientY + 12 + h > window.innerHeight ? Math.max(4, e.clientY - 12 - h) : e.clientY + 12;
        tip.style.left = x + "px";
        tip.style.top = y + "px";
      });
      el.addEventListener("mouseleave", function () { tip.hidden = true; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupUpload();
    setupProgress();
    setupTooltips();
  });
})();
