/* growapp glue: toasts for failed requests, confirmations, copy buttons.
   Loaded as a static file (strict CSP: no inline script anywhere). */
(function () {
  "use strict";

  var MESSAGES = {
    0: "No connection. Nothing was saved — try again when you have signal.",
    400: "That request was refused. Reload the page and try again.",
    401: "Your session ended. Please sign in again.",
    403: "You do not have permission to do that.",
    404: "That no longer exists.",
    412: "Someone else changed this. Reload and try again.",
    413: "That upload is too large.",
    429: "Too many attempts. Wait a moment.",
    500: "Something went wrong on our side. It has been logged.",
    503: "The server is busy. Try again shortly."
  };

  function toast(message, kind) {
    var region = document.getElementById("flash");
    if (!region) return;
    var el = document.createElement("div");
    el.className = "toast" + (kind ? " toast-" + kind : "");
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    el.textContent = message;
    region.appendChild(el);
    dismissLater(el, kind === "error" ? 8000 : 4000);
  }

  function dismissLater(el, ms) {
    setTimeout(function () {
      el.classList.add("leaving");
      setTimeout(function () { el.remove(); }, 450);
    }, ms);
  }

  function problemText(xhr) {
    // Error pages and fragments carry their sentence in .problem-detail.
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var node = doc.querySelector(".problem-detail");
      if (node && node.textContent.trim()) return node.textContent.trim();
    } catch (e) { /* fall through */ }
    return null;
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    toast(problemText(xhr) || MESSAGES[xhr.status] || ("Request failed (" + xhr.status + ")."), "error");
  });
  document.addEventListener("htmx:sendError", function (evt) {
    var cfg = evt.detail.requestConfig || {};
    if (cfg.verb === "get" && cfg.boosted && navigator.serviceWorker && navigator.serviceWorker.controller) {
      // A link tapped without a connection: a real navigation lets the service worker
      // answer with the copy of the page it kept (floor pages).
      window.location.assign(cfg.path || evt.detail.pathInfo.requestPath);
      return;
    }
    toast(cfg.verb === "get" ? "No connection. The page could not be loaded." : MESSAGES[0], "error");
  });
  document.addEventListener("htmx:timeout", function () { toast(MESSAGES[0], "error"); });

  // Plain forms (no htmx) that need a confirmation: <form data-confirm="...">.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest && evt.target.closest("[data-copy-target]");
    if (!btn) return;
    var input = document.querySelector(btn.getAttribute("data-copy-target"));
    if (!input) return;
    input.select();
    var done = function () { toast("Copied.", "info"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  function settleToasts(root) {
    (root || document).querySelectorAll("#flash .toast:not([data-timed])").forEach(function (el) {
      el.setAttribute("data-timed", "1");
      var undo = parseInt(el.getAttribute("data-undo-seconds") || "", 10);
      if (undo > 0) countDown(el, undo); else dismissLater(el, 5000);
    });
  }
  // An undo toast stays as long as undo is allowed (a minute), counting down.
  function countDown(el, seconds) {
    var left = el.querySelector("[data-undo-left]");
    var ends = Date.now() + seconds * 1000;
    var timer = setInterval(function () {
      var s = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
      if (left) left.textContent = s + " s";
      if (s <= 0 || !el.isConnected) {
        clearInterval(timer);
        if (el.isConnected) dismissLater(el, 0);
      }
    }, 1000);
  }

  // After "Save and next" (weekly round, baseline) the next plant's heading is brought
  // into view and focused, so the code of the plant in hand is what the screen shows.
  function arrive(root) {
    var el = (root || document).querySelector("[data-arrive]");
    if (!el) return;
    el.removeAttribute("data-arrive");
    if (el.scrollIntoView) el.scrollIntoView({ block: "start" });
    if (el.focus) el.focus({ preventScroll: true });
  }
  document.addEventListener("htmx:afterSettle", function () { arrive(); });

  // -/+ steppers beside number inputs (gloves: the keyboard is the hard way).
  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest && evt.target.closest("[data-step]");
    if (!btn) return;
    var input = btn.parentNode.querySelector("input[type=number]");
    if (!input) return;
    var step = parseFloat(input.getAttribute("data-step-size") || "1");
    var dir = btn.getAttribute("data-step") === "down" ? -1 : 1;
    var value = input.value === "" ? parseFloat(input.getAttribute("data-start") || "0") : parseFloat(input.value);
    if (isNaN(value)) value = 0;
    var next = Math.round((value + dir * step) * 1000) / 1000;
    var min = input.getAttribute("min"), max = input.getAttribute("max");
    if (min !== null && min !== "" && next < parseFloat(min)) next = parseFloat(min);
    if (max !== null && max !== "" && next > parseFloat(max)) next = parseFloat(max);
    input.value = String(next);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  // The change against last week's value, as it is typed or stepped.
  document.addEventListener("input", function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches("input[data-previous]")) return;
    var out = document.getElementById(input.id + "-change");
    if (!out) return;
    var prev = parseFloat(input.getAttribute("data-previous"));
    var now = parseFloat(input.value);
    if (input.value === "" || isNaN(now) || isNaN(prev)) { out.textContent = ""; return; }
    var d = Math.round((now - prev) * 1000) / 1000;
    out.textContent = d === 0 ? "no change" : (d > 0 ? "+" : "\u2212") + Math.abs(d);
  });
  function showCurrentTab() {
    // The experiment nav scrolls sideways on a phone: bring the current page into view.
    var current = document.querySelector(".context-nav [aria-current=page]");
    if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest", inline: "center" });
  }
  // Scanner pages (/scan, scan to feed): htmx runs no scripts from swapped pages
  // (allowScriptTags: false), so their script is loaded here when a page has a scanner.
  function loadScanner() {
    var el = document.querySelector("[data-scan-script]");
    if (!el) return;
    if (window.growappScan) { window.growappScan.init(); return; }
    if (document.querySelector("script[data-scan]")) return;
    var s = document.createElement("script");
    s.src = el.getAttribute("data-scan-script");
    s.setAttribute("data-scan", "");
    document.head.appendChild(s);
  }
  document.addEventListener("DOMContentLoaded", loadScanner);
  document.addEventListener("htmx:afterSettle", loadScanner);
  window.growapp = window.growapp || {};
  window.growapp.toast = toast;
  document.addEventListener("DOMContentLoaded", function () { settleToasts(); showCurrentTab(); arrive(); });
  document.addEventListener("htmx:afterSettle", showCurrentTab);
  document.addEventListener("htmx:afterSettle", function () { settleToasts(); });
})();
