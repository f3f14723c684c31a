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
  // The period picker: custom dates only when "Tùy chọn" is chosen.
  var kind = document.querySelector("select[name=ky]");
  if (kind) {
    var sync = function () {
      document.querySelectorAll("[data-custom]").forEach(function (el) { el.hidden = kind.value !== "tuy-chon"; });
    };
    kind.addEventListener("change", sync);
    sync();
  }
});
