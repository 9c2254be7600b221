// Roster console: small progressive enhancements. Every page works without
// this file; it only adds confirmations and copy buttons. It is loaded with
// `defer` from 'self' because the CSP forbids inline scripts.
(function () {
  "use strict";

  // <form data-confirm="Remove this member?"> asks before it submits, so a
  // destructive action needs a second, deliberate click.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // <button data-copy="text"> or <button data-copy="#id"> copies the text (or
  // the value/text of the element with that id) and says so for a moment.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button || !navigator.clipboard) return;
    event.preventDefault();
    var source = button.getAttribute("data-copy");
    var text = source;
    if (source.charAt(0) === "#") {
      var el = document.getElementById(source.slice(1));
      if (!el) return;
      text = "value" in el ? el.value : el.textContent;
    }
    navigator.clipboard.writeText(text.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.setAttribute("data-copied", "");
      window.setTimeout(function () {
        button.textContent = label;
        button.removeAttribute("data-copied");
      }, 1500);
    });
  });

  // Copy buttons are useless without the Clipboard API (plain http other
  // than localhost), so they stay hidden until we know it is there.
  if (navigator.clipboard) {
    document.documentElement.classList.add("can-copy");
  }
})();

// API clients: a page that answers a POST and shows a secret once carries
// data-replace-url. Its address becomes the list's, so reloading the page
// shows the list instead of posting the form again (and making a second
// client). Without JavaScript the browser asks before posting again.
(function () {
  "use strict";
  var page = document.querySelector("[data-replace-url]");
  if (page && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", page.getAttribute("data-replace-url"));
  }
})();

// Adding a social provider: until the owner ticks or unticks "Trust this
// provider's verified emails" themselves, the box follows the chosen kind's
// default (on for Google only), so picking OpenID Connect does not keep
// Google's trust by accident. Without JavaScript the box is what it shows.
(function () {
  "use strict";
  var form = document.querySelector("form[data-trust-follows-kind]");
  if (!form) return;
  var kind = form.querySelector("select[name=kind]");
  var trust = form.querySelector("input[name=trust_email_verified]");
  if (!kind || !trust) return;
  trust.addEventListener("change", function () {
    form.removeAttribute("data-trust-follows-kind");
  });
  kind.addEventListener("change", function () {
    if (!form.hasAttribute("data-trust-follows-kind")) return;
    var option = kind.options[kind.selectedIndex];
    trust.checked = !!option && option.getAttribute("data-trust-default") === "true";
  });
})();

// Tables: on a phone each row is shown as a small card, one line per cell
// (app.css). Each cell gets its column's name as data-label, which the
// stylesheet shows before the value. A column whose header is only for
// screen readers (the row's buttons) and a cell spanning columns get none.
(function () {
  "use strict";
  var tables = document.querySelectorAll("table.table");
  for (var t = 0; t < tables.length; t++) {
    var headers = tables[t].querySelectorAll("thead th");
    var labels = [];
    for (var h = 0; h < headers.length; h++) {
      var th = headers[h];
      var visible = th.cloneNode(true);
      var hidden = visible.querySelectorAll(".visually-hidden");
      for (var i = 0; i < hidden.length; i++) hidden[i].remove();
      var label = visible.textContent.replace(/\s+/g, " ").trim();
      for (var span = th.colSpan || 1; span > 0; span--) labels.push(label);
    }
    var rows = tables[t].querySelectorAll("tbody tr");
    for (var r = 0; r < rows.length; r++) {
      var column = 0;
      for (var c = 0; c < rows[r].cells.length; c++) {
        var cell = rows[r].cells[c];
        if (cell.tagName === "TD" && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", cell.colSpan > 1 ? "" : labels[column] || "");
        }
        column += cell.colSpan || 1;
      }
    }
  }
})();
