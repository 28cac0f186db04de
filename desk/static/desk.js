// docflow review desk: highlights, keyboard shortcuts, the timesheet grid,
// uploads with progress and the live document list. Plain JavaScript, no
// inline code (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // Highlight boxes: positioned in percent of their page image.
  function placeBoxes() {
    document.querySelectorAll(".hl").forEach(function (el) {
      el.style.left = el.dataset.left + "%";
      el.style.top = el.dataset.top + "%";
      el.style.width = el.dataset.width + "%";
      el.style.height = el.dataset.height + "%";
    });
  }

  // Showing a field: its box (or text line) lights up and scrolls into view.
  function showField(name, scroll) {
    document.querySelectorAll(".hl.active, .hl-line.active, .field.active").forEach(function (el) {
      el.classList.remove("active");
    });
    if (!name) return;
    var field = document.querySelector('.field[data-field="' + name + '"]');
    if (field) field.classList.add("active");
    var target = document.querySelector('.hl[data-field="' + name + '"]');
    if (!target) {
      document.querySelectorAll(".hl-line").forEach(function (li) {
        if ((" " + li.dataset.fields + " ").indexOf(" " + name + " ") >= 0) target = target || li;
      });
    }
    if (target) {
      target.classList.add("active");
      if (scroll) target.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }

  function fieldNames() {
    return Array.prototype.map.call(document.querySelectorAll(".field[data-field]"), function (f) {
      return f.dataset.field;
    });
  }

  var current = -1;
  function moveField(step) {
    var names = fieldNames();
    if (!names.length) return;
    current = Math.max(0, Math.min(names.length - 1, current + step));
    var f = document.querySelector('.field[data-field="' + names[current] + '"]');
    var input = f && f.querySelector("input:not([type=hidden]), select, textarea");
    showField(names[current], true);
    if (input && !input.disabled) input.focus();
    else if (f) f.scrollIntoView({ block: "nearest" });
  }

  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  function submit(id) {
    var form = document.getElementById(id);
    if (!form) return false;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    return true;
  }

  function toggleHelp(show) {
    var help = document.getElementById("help");
    if (help) help.hidden = show === undefined ? !help.hidden : !show;
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") {
      if (typing(e)) e.target.blur();
      toggleHelp(false);
      return;
    }
    if (typing(e)) return;
    var handled = true;
    switch (e.key) {
      case "a": handled = submit("approve-form"); break;
      case "c": handled = submit("claim-form"); break;
      case "r":
        var reason = document.getElementById("reject-reason");
        if (reason) { reason.focus(); reason.scrollIntoView({ block: "center" }); } else handled = false;
        break;
      case "j": moveField(1); break;
      case "k": moveField(-1); break;
      case "?": toggleHelp(); break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  }

  function setupTask() {
    placeBoxes();
    document.addEventListener("keydown", onKey);
    document.querySelectorAll(".field[data-field]").forEach(function (f, i) {
      f.addEventListener("focusin", function () { current = i; showField(f.dataset.field, true); });
    });
    document.querySelectorAll("button.source").forEach(function (b) {
      b.addEventListener("click", function () { showField(b.dataset.field, true); });
    });
    document.querySelectorAll(".hl").forEach(function (h) {
      h.addEventListener("click", function () {
        var input = document.querySelector('.field[data-field="' + h.dataset.field + '"] input, .field[data-field="' + h.dataset.field + '"] select');
        showField(h.dataset.field, false);
        if (input && !input.disabled) input.focus();
      });
    });
    var add = document.getElementById("add-row");
    var tpl = document.getElementById("entry-template");
    var body = document.getElementById("entries-body");
    if (add && tpl && body) {
      add.addEventListener("click", function () {
        body.appendChild(tpl.content.cloneNode(true));
        var inputs = body.querySelectorAll("tr:last-child input");
        if (inputs.length) inputs[0].focus();
      });
    }
    if (body) {
      body.addEventListener("click", function (e) {
        if (e.target.classList.contains("remove-row")) e.target.closest("tr").remove();
      });
    }
    var type = document.getElementById("document-type");
    if (type) {
      type.addEventListener("change", function () {
        location.search = type.value === "other" ? "" : "?as=" + encodeURIComponent(type.value);
      });
    }
    var reject = document.getElementById("reject-form");
    if (reject) reject.addEventListener("submit", function (e) {
      if (!document.getElementById("reject-reason").value.trim()) { e.preventDefault(); document.getElementById("reject-reason").focus(); }
    });
  }

  // Upload: one request per file, with its own progress bar.
  function uploadFile(file, list) {
    var li = document.createElement("li");
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var state = document.createElement("span");
    state.className = "state";
    li.append(name, bar, state);
    list.appendChild(li);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/desk/upload");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener("load", function () {
      var res = {};
      try { res = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
      var item = (res.items || [])[0] || {};
      bar.value = 100;
      if (xhr.status >= 200 && xhr.status < 300) {
        li.className = "done";
        state.textContent = list.dataset.done;
      } else {
        li.className = "failed";
        state.textContent = list.dataset.failed + " — " + (item.error || res.error || xhr.status);
      }
      refreshDocuments();
    });
    xhr.addEventListener("error", function () {
      li.className = "failed";
      state.textContent = list.dataset.failed;
    });
    var form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  }

  function uploadFiles(files) {
    var list = document.getElementById("progress");
    Array.prototype.forEach.call(files, function (f) { uploadFile(f, list); });
  }

  // The document list, refreshed every 2 seconds.
  function refreshDocuments() {
    var table = document.getElementById("documents");
    if (!table) return;
    // A background refresh: it does not keep an idle session alive.
    fetch("/desk/documents.json", { headers: { Accept: "application/json", "X-Docflow-Poll": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) renderDocuments(table, data.items || []); })
      .catch(function () { /* next poll */ });
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (text !== undefined) td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function renderDocuments(table, items) {
    var body = document.getElementById("documents-body");
    var rows = document.createDocumentFragment();
    items.forEach(function (d) {
      var tr = document.createElement("tr");
      tr.className = "doc-row status-" + d.status + (d.parent ? " child" : "");
      tr.dataset.id = d.id;
      tr.dataset.status = d.status;
      var first = cell(tr);
      if (d.link) {
        var a = document.createElement("a");
        a.href = d.link;
        a.textContent = d.file_name;
        first.appendChild(a);
      } else first.textContent = d.file_name;
      if (d.parent) {
        var via = document.createElement("div");
        via.className = "via";
        via.textContent = table.dataset.viaemail.replace("%s", d.parent);
        first.appendChild(via);
      }
      cell(tr, d.received);
      var st = cell(tr);
      var span = document.createElement("span");
      span.className = "status";
      span.textContent = d.status_label;
      st.appendChild(span);
      cell(tr, d.what, "what");
      rows.appendChild(tr);
    });
    if (!items.length) {
      var tr = document.createElement("tr");
      tr.className = "empty";
      cell(tr, table.dataset.empty).colSpan = 4;
      rows.appendChild(tr);
    }
    body.replaceChildren(rows);
  }

  function setupUpload() {
    var form = document.getElementById("upload-form");
    var input = document.getElementById("file-input");
    if (form && input) {
      input.addEventListener("change", function () {
        uploadFiles(input.files);
        input.value = "";
      });
      ["dragenter", "dragover"].forEach(function (t) {
        form.addEventListener(t, function (e) { e.preventDefault(); form.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (t) {
        form.addEventListener(t, function (e) { e.preventDefault(); form.classList.remove("over"); });
      });
      form.addEventListener("drop", function (e) { uploadFiles(e.dataTransfer.files); });
    }
    if (document.getElementById("documents")) setInterval(refreshDocuments, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.classList.contains("page-task")) setupTask();
    if (document.body.classList.contains("page-upload")) setupUpload();
  });
})();
