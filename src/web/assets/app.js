// Progressive enhancement only: every page works without this script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // A print button prints the page (the forms open in their own tab).
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  // A USB barcode/QR scanner types the code and Enter into the search box: keep it focused
  // on the desk's queue page, so a scan opens the dossier at once.
  var scan = document.querySelector("input[data-scan]");
  if (scan && document.body.querySelector("[data-desk]") && !document.activeElement.matches("input, textarea, select")) {
    scan.focus();
  }
  // Actions that ask for confirmation (refuse, deny, stop, apply a reorganisation).
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  // Procedure search at intake: a short pause after typing submits the search.
  var typed = document.querySelector("input[data-autosubmit]");
  if (typed) {
    var timer;
    typed.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { if (typed.value.length >= 2) { typed.form.submit(); } }, 600);
    });
    typed.focus();
    typed.setSelectionRange(typed.value.length, typed.value.length);
  }
  // A form posted when the session had ended (after 12 hours, signed out in another tab,
  // re-homed) is kept in this tab's sessionStorage, never in a URL or on the server: the
  // sign-in page (or the refusal) marks it, and once signed in again the form's page opens
  // with what was typed. A post that went through drops it on the next page.
  var HELD = "motcua:giu";
  var held = null;
  try { held = JSON.parse(window.sessionStorage.getItem(HELD) || "null"); } catch (e) { held = null; }
  if (held && Date.now() - held.at > 30 * 60 * 1000) { held = null; }
  var drop = function () { try { window.sessionStorage.removeItem(HELD); } catch (e) { /* private mode */ } };
  var keep = function () { try { window.sessionStorage.setItem(HELD, JSON.stringify(held)); } catch (e) { /* full */ } };
  var here = location.pathname + location.search;
  if (!held) {
    drop();
  } else if (document.querySelector("[data-form-refused]")) {
    held.refused = true;
    keep();
    document.querySelectorAll("[data-held-note]").forEach(function (n) { n.hidden = false; });
  } else if (held.refused && here !== held.page && !held.sent) {
    held.sent = true;
    keep();
    location.replace(held.page);
    return;
  } else if (held.refused && here === held.page) {
    var target = null;
    document.querySelectorAll("form[method=post]").forEach(function (f) {
      if (new URL(f.action, location.href).pathname === held.action) { target = f; }
    });
    if (target) {
      var seen = {};
      held.fields.forEach(function (pair) {
        var name = pair[0], value = pair[1];
        var all = Array.prototype.filter.call(target.elements, function (el) { return el.name === name; });
        var el = all[0];
        if (!el) { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          all.forEach(function (c) { if (c.value === value) { c.checked = true; } });
        } else {
          var i = seen[name] || 0;
          seen[name] = i + 1;
          if (all[i]) { all[i].value = value; }
        }
      });
      var note = document.createElement("p");
      note.className = "notice";
      note.setAttribute("role", "status");
      note.id = "restored";
      note.textContent = "Đã khôi phục nội dung bạn nhập trước khi phiên làm việc kết thúc. Kiểm tra lại rồi gửi.";
      target.parentNode.insertBefore(note, target);
    }
    drop();
  } else {
    drop();
  }
  document.querySelectorAll("form[method=post]:not([data-no-hold])").forEach(function (f) {
    f.addEventListener("submit", function () {
      var fields = [];
      Array.prototype.forEach.call(f.elements, function (el) {
        if (!el.name || el.name.charAt(0) === "_" || el.type === "file" || el.type === "password") { return; }
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
        fields.push([el.name, el.value]);
      });
      held = { page: here, action: new URL(f.action, location.href).pathname, fields: fields, at: Date.now() };
      keep();
    });
  });
  // A button clicked twice posts once: the second click does nothing while the page is
  // leaving (the server also answers a repeat with the first answer).
  document.querySelectorAll("form[method=post]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (e.defaultPrevented) { return; }
      if (f.dataset.sending) { e.preventDefault(); return; }
      f.dataset.sending = "1";
    });
  });
  // Back to a page the browser kept: its forms may be posted again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (f) { delete f.dataset.sending; });
  });
  // The period picker: custom dates only when "Tùy chọn" is chosen.
  var kind = document.querySelector("select[name=ky]");
  if (kind) {
    var sync = function () {
      document.querySelectorAll("[data-custom]").forEach(function (el) { el.hidden = kind.value !== "tuy-chon"; });
    };
    kind.addEventListener("change", sync);
    sync();
  }
  // After a failed submit, the summary of what to fix takes focus (each item links to its
  // field): last, so that no other field takes it back.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
});
