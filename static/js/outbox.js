/* growapp outbox: a logging tap on the floor pages is written to IndexedDB *before* it is
   sent, with an idempotency key made on the phone for that tap, and leaves the outbox only
   when the server has answered. So a tap made without a connection waits and is sent
   later, and a tap whose answer was lost is sent again with the same key and lands once.
   Works on plain http (no service worker needed). Strict CSP: a static file, no eval.

   Forms opt in with data-outbox="<what>" (and data-outbox-subject="<plant or tray>", which
   a submit button may override). A page's own script that posts taps itself (scan to feed)
   hands each post over with a cancelable "growapp:outbox-post" event instead (see below).
   A tap that lands after the form it was made with is gone (a reload, or an earlier
   answer swapped it away) still shows on the page it was made on. README "Offline outbox"
   describes the behaviour. */
(function () {
  "use strict";

  var DB_NAME = "growapp-outbox";
  var STORE = "taps";
  var RETRY_MIN_MS = 2000;
  var RETRY_MAX_MS = 30000;
  var SEND_TIMEOUT_MS = 20000;
  var PHOTO_TIMEOUT_MS = 120000;

  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : null;
  }
  var USER = meta("growapp-user");            // null on signed-out pages
  var MAX_UPLOAD = parseInt(meta("growapp-max-upload") || "", 10) || 16 * 1024 * 1024;
  var OFFLINE_COPY = document.documentElement.getAttribute("data-offline-copy");
  var supported = !!(window.indexedDB && window.fetch && window.FormData && window.crypto);

  function toast(message, kind) {
    if (window.growapp && window.growapp.toast) window.growapp.toast(message, kind);
  }

  // ---- IndexedDB (the plain API) ------------------------------------------------------
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id" }); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var req = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(req ? req.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }
  function putTap(tap) { return withStore("readwrite", function (s) { return s.put(tap); }); }
  function deleteTap(id) { return withStore("readwrite", function (s) { return s.delete(id); }); }
  function allTaps() {
    return withStore("readonly", function (s) { return s.getAll(); }).then(function (taps) {
      return (taps || []).sort(function (a, b) { return a.created - b.created; });
    });
  }
  function myTaps() {
    return allTaps().then(function (taps) {
      return taps.filter(function (t) { return t.user === USER; });
    });
  }

  // ---- keys, tokens, session ----------------------------------------------------------
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }
  var csrfToken = (function () {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  })();
  var sessionFresh = !OFFLINE_COPY;  // a cached copy's token and user may be stale

  function isLogin(res) {
    try { return res.redirected && new URL(res.url).pathname === "/login"; } catch (e) { return false; }
  }

  // "ok" | "offline" | "signin": asks the server who is signed in and for a fresh token.
  function checkSession() {
    return fetchWithTimeout("/offline/session", { headers: { Accept: "application/json" } }, SEND_TIMEOUT_MS)
      .then(function (res) {
        if (isLogin(res) || res.status === 401) return "signin";
        if (!res.ok) return "offline";
        return res.json().then(function (data) {
          if (String(data.user_id) !== USER) return "signin";  // someone else is signed in now
          csrfToken = data.csrf_token;
          if (data.max_upload_bytes) MAX_UPLOAD = data.max_upload_bytes;
          sessionFresh = true;
          return "ok";
        });
      }, function () { return "offline"; });
  }

  function fetchWithTimeout(url, options, ms) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, ms) : null;
    options.credentials = "same-origin";
    if (ctrl) options.signal = ctrl.signal;
    return fetch(url, options).then(function (res) { clearTimeout(timer); return res; },
      function (err) { clearTimeout(timer); throw err; });
  }

  // ---- taking a tap -------------------------------------------------------------------
  var liveForms = {};  // tap id -> the form it was made with, while it is on screen

  function formFields(form, submitter) {
    var data;
    try { data = new FormData(form, submitter || undefined); } catch (e) {
      data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    }
    var fields = [];
    data.forEach(function (value, name) {
      if (name === "csrf_token") return;  // a fresh token goes in the header when sent
      fields.push([name, value]);
    });
    return fields;
  }

  function tooLarge(fields) {
    var total = 0;
    fields.forEach(function (f) { if (f[1] instanceof Blob) total += f[1].size; });
    return total > MAX_UPLOAD - 64 * 1024 ? total : 0;
  }

  function mb(bytes) { return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, ""); }

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!supported || !USER || !form.matches || !form.matches("form[data-outbox]")) return;
    if (evt.defaultPrevented) return;
    evt.preventDefault();
    evt.stopPropagation();  // htmx does not send it: the outbox does
    var submitter = evt.submitter || null;
    var now = Date.now();
    var which = form.getAttribute("action") + "|" + (submitter && submitter.name ? submitter.name + "=" + submitter.value : "");
    if (form._outboxLast && form._outboxLast.which === which && now - form._outboxLast.at < 1500) return;  // a glove's double tap

    var fields = formFields(form, submitter);
    var size = tooLarge(fields);
    if (size) {
      toast("That photo is " + mb(size) + " MB; the limit is " + mb(MAX_UPLOAD) + " MB. Nothing was saved — take it at a lower resolution.", "error");
      return;
    }
    form._outboxLast = { which: which, at: now };
    var key = newKey();  // made on the phone, for this tap only: a second tap gets its own
    fields = fields.filter(function (f) { return f[0] !== "idempotency_key"; });
    fields.push(["idempotency_key", key]);
    var keyInput = form.querySelector('input[name="idempotency_key"]');
    if (keyInput) keyInput.value = key;
    var tap = newTap(key, form.getAttribute("action") || location.pathname, fields,
      form.hasAttribute("hx-post"),
      (submitter && submitter.getAttribute("data-outbox")) || form.getAttribute("data-outbox"),
      (submitter && submitter.getAttribute("data-outbox-subject")) || form.getAttribute("data-outbox-subject") || "");
    tap.target = form.hasAttribute("hx-post") ? form.getAttribute("hx-target") : null;
    tap.swap = form.getAttribute("hx-swap") || "innerHTML";
    liveForms[key] = form;
    setBusy(form, true);
    putTap(tap).then(function () { return drain(); }, function () {
      // No room in IndexedDB (private mode, quota): send it directly, once.
      return sendTap(tap).then(function (outcome) {
        if (outcome === "retry" || outcome === "signin") toast("No connection. Nothing was saved — try again when you have signal.", "error");
      });
    }).then(function () { setBusy(form, false); }, function () { setBusy(form, false); });
  }, true);

  function newTap(key, url, fields, fragment, what, subject) {
    return {
      id: key, user: USER, created: Date.now(), url: url, fields: fields, fragment: fragment,
      what: what, subject: subject, target: null, region: null,
      page: location.pathname, pageSearch: location.search, title: document.title,
      state: "waiting", reason: "", attempts: 0
    };
  }

  // ---- taps a page's own script posts (scan to feed) ----------------------------------
  // The script dispatches a cancelable "growapp:outbox-post" on its form, detail {url, body
  // (FormData), key (made on the phone for this tap), what, subject, region (the part of the
  // page to reload when the tap lands after a reload), onAnswer}. Cancelling it means the
  // outbox took the tap. onAnswer(kind, status, html): "sent" or "refused" once answered;
  // "waiting" (no answer) or "signin" (the session ended) when it stays on the phone, then
  // "sent" or "refused" when a replay is answered while the page is still open.
  var answerTo = {};  // tap id -> {cb, told}

  function tell(id, kind, status, html) {
    var a = answerTo[id];
    if (!a) return false;
    if (kind === "sent" || kind === "refused" || kind === "lost") { delete answerTo[id]; delete liveForms[id]; }
    else if (a.told) return true;
    else a.told = true;
    try { a.cb(kind, status || 0, html || ""); } catch (e) { /* the page's own problem */ }
    return true;
  }

  document.addEventListener("growapp:outbox-post", function (evt) {
    var d = evt.detail || {};
    if (!supported || !USER || !d.body || !d.key || !d.url) return;  // not taken: the page sends it
    evt.preventDefault();
    var fields = [];
    d.body.forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "idempotency_key") fields.push([name, value]);
    });
    fields.push(["idempotency_key", d.key]);
    var tap = newTap(d.key, d.url, fields, true, d.what || "Tap", d.subject || "");
    tap.region = d.region || null;
    liveForms[d.key] = d.form || evt.target;
    answerTo[d.key] = { cb: typeof d.onAnswer === "function" ? d.onAnswer : function () {}, told: false };
    putTap(tap).then(function () { return drain(); }, function () {
      return sendTap(tap).then(function (outcome) {  // no room in IndexedDB: sent once, directly
        if (outcome !== "sent" && outcome !== "refused") tell(d.key, "lost");
      });
    }).then(function () {
      if (answerTo[d.key]) tell(d.key, signInNeeded ? "signin" : "waiting");
    });
  });

  /* Whether taps are still on the phone: {id: "waiting"|"refused"} (absent: sent, or
     dismissed). Lets a page's script settle what it showed before a reload. */
  function states(ids) {
    return myTaps().then(function (taps) {
      var out = {};
      taps.forEach(function (t) { if (ids.indexOf(t.id) >= 0) out[t.id] = t.state; });
      return out;
    });
  }

  // ---- a tap that landed where its form is gone ----------------------------------------
  // The page it was made on shows it: the answer goes into the form's target when that is
  // on the page (a fragment post), otherwise that part of the page is loaded afresh. The
  // page's script may show it itself ("growapp:outbox-landed", cancelable).
  var stale = [];
  function landed(tap, res, text) {
    var evt = new CustomEvent("growapp:outbox-landed", { cancelable: true, detail: {
      id: tap.id, url: tap.url, page: tap.page, what: tap.what, subject: tap.subject,
      status: res.status, html: text } });
    if (!document.dispatchEvent(evt) || tap.page !== location.pathname) return;
    var target = tap.target && !OFFLINE_COPY ? document.querySelector(tap.target) : null;
    if (target && tap.fragment && window.htmx) {
      var style = (tap.swap || "outerHTML").split(" ")[0];
      htmx.swap(target, text, { swapStyle: style, swapDelay: 0, settleDelay: 20 });
      return;
    }
    var region = OFFLINE_COPY ? "#main" : tap.region || tap.target || "#main";
    if (stale.indexOf(region) < 0) stale.push(region);
  }

  function refreshStale() {
    if (!stale.length) return Promise.resolve();
    var regions = stale.indexOf("#main") >= 0 ? ["#main"] : stale.slice();
    stale = [];
    return fetchWithTimeout(location.pathname + location.search, { headers: { Accept: "text/html" } },
      SEND_TIMEOUT_MS).then(function (res) {
      return res.ok && !isLogin(res) ? res.text() : null;
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      regions.forEach(function (sel) {
        var now = document.querySelector(sel), fresh = doc.querySelector(sel);
        if (!now || !fresh) return;
        if (window.htmx) htmx.swap(now, fresh.outerHTML, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 20 });
      });
      if (regions[0] === "#main") document.documentElement.removeAttribute("data-offline-copy");
    }).catch(function () { /* shown at the next load */ });
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = busy; });
    form.classList.toggle("outbox-busy", busy);
  }

  // ---- sending ------------------------------------------------------------------------
  function body(tap) {
    var data = new FormData();
    tap.fields.forEach(function (f) {
      if (f[1] instanceof Blob) data.append(f[0], f[1], f[1].name || "photo.jpg");
      else data.append(f[0], f[1]);
    });
    return data;
  }

  function problemText(html) {
    try {
      var doc = new DOMParser().parseFromString(html || "", "text/html");
      var node = doc.querySelector(".problem-detail") || doc.querySelector(".problem .error");
      if (node && node.textContent.trim()) return node.textContent.trim();
      var data = JSON.parse(html);
      if (data && data.detail) return data.detail;
    } catch (e) { /* not JSON */ }
    return null;
  }

  var STATUS_TEXT = {
    403: "You may not do that.", 404: "That no longer exists.",
    413: "That upload is too large."
  };

  // One tap, once. Answers "sent", "refused", "retry" (no answer: try again later),
  // "signin" (must sign in first) or "later" (another user's tap).
  function sendTap(tap, csrfRetried) {
    var live = liveForms[tap.id] && liveForms[tap.id].isConnected ? liveForms[tap.id] : null;
    var fresh = live && tap.attempts === 0;  // the first try, while the operator looks on
    var headers = { "X-CSRFToken": csrfToken, "X-Outbox-User": tap.user };
    if (tap.fragment) headers["HX-Request"] = "true";
    var hasFile = tap.fields.some(function (f) { return f[1] instanceof Blob; });
    return fetchWithTimeout(tap.url, { method: "POST", body: body(tap), headers: headers },
      hasFile ? PHOTO_TIMEOUT_MS : SEND_TIMEOUT_MS).then(function (res) {
      if (isLogin(res) || res.status === 401) { sessionFresh = false; return "signin"; }
      if (res.status === 409 && res.headers.get("Outbox-Wrong-User")) { sessionFresh = false; return "later"; }
      if (res.status === 400 && !csrfRetried) {  // the token expired with the session
        return checkSession().then(function (state) {
          return state === "ok" ? sendTap(tap, true) : state === "signin" ? "signin" : "retry";
        });
      }
      return res.text().then(function (text) {
        if (res.ok) {
          return deleteTap(tap.id).then(function () {
            if (tell(tap.id, "sent", res.status, text)) return "sent";
            if (live) showAnswer(tap.id, live, res, text);
            else landed(tap, res, text);
            return "sent";
          });
        }
        var refused = res.status === 409 || res.status === 422 || res.status in STATUS_TEXT;
        if (!refused && !(res.status >= 500 && tap.attempts >= 7)) {
          tap.attempts += 1;
          return putTap(tap).then(function () { return "retry"; });  // 429, 5xx: later
        }
        var reason = problemText(text) || STATUS_TEXT[res.status] || ("The server refused it (" + res.status + ").");
        if (fresh) {  // refused at once, while the operator looks on: shown in place, as htmx would
          return deleteTap(tap.id).then(function () {
            if (tell(tap.id, "refused", res.status, text)) return "refused";
            if (res.status === 409 || res.status === 422) showAnswer(tap.id, live, res, text);
            else toast(reason, "error");
            return "refused";
          });
        }
        tap.state = "refused";
        tap.reason = reason;
        tap.refusedAt = Date.now();
        return putTap(tap).then(function () { tell(tap.id, "refused", res.status, text); return "refused"; });
      });
    }, function () {
      tap.attempts += 1;
      return putTap(tap).then(function () { return "retry"; }, function () { return "retry"; });
    });
  }

  function showAnswer(id, form, res, text) {
    delete liveForms[id];
    var redirect = res.headers.get("HX-Redirect");
    if (redirect) { location.assign(redirect); return; }
    if (res.headers.get("HX-Refresh") === "true") { location.reload(); return; }
    if (!window.htmx) { location.reload(); return; }
    var targetSel = form.getAttribute("hx-target");
    if (form.hasAttribute("hx-post") && targetSel) {
      var target = document.querySelector(targetSel);
      var style = (form.getAttribute("hx-swap") || "innerHTML").split(" ")[0];
      if (target) { htmx.swap(target, text, { swapStyle: style, swapDelay: 0, settleDelay: 20 }); return; }
    }
    // A boosted plain form: the answer is the page it redirected to.
    htmx.swap(document.body, text, { swapStyle: "innerHTML", swapDelay: 0, settleDelay: 20 });
    if (res.redirected && res.url) history.pushState({}, "", res.url);
    window.scrollTo(0, 0);
  }

  var running = null;
  var again = false;
  var retryTimer = null;
  var failures = 0;

  function drain() {
    if (!supported || !USER) return Promise.resolve();
    if (running) { again = true; return running; }
    running = drainOnce().then(finish, finish);
    return running;
  }
  function finish() {
    running = null;
    if (again) { again = false; return drain(); }
    return refreshStale().then(render);
  }

  function drainOnce() {
    return myTaps().then(function (taps) {
      var waiting = taps.filter(function (t) { return t.state === "waiting"; });
      if (!waiting.length) { failures = 0; return null; }
      var allLive = waiting.every(function (t) { return liveForms[t.id] && t.attempts === 0; });
      var ready = sessionFresh && allLive ? Promise.resolve("ok") : checkSession();
      return ready.then(function (state) {
        if (state === "ok") signInNeeded = false;
        if (state === "offline") return later();
        if (state === "signin") { needSignIn(); return null; }
        var sent = 0;
        var step = function (i) {
          if (i >= waiting.length) {
            failures = 0;
            if (sent) {
              toast(sent === 1 ? "Sent 1 tap made offline." : "Sent " + sent + " taps made offline.", "success");
            }
            return null;
          }
          var tap = waiting[i];
          var wasLive = !!liveForms[tap.id];
          var wasFresh = wasLive && tap.attempts === 0;
          return sendTap(tap).then(function (outcome) {
            if (outcome === "sent" && !wasFresh) sent += 1;
            if (outcome === "retry") {
              if (wasLive && liveForms[tap.id] && tap.attempts === 1 && !answerTo[tap.id]) {
                toast("No connection. " + describe(tap) + " is kept on this phone and will be sent when the server answers.", "info");
              }
              return later();
            }
            if (outcome === "signin") { needSignIn(); return null; }
            if (outcome === "refused" && !wasFresh) toast(describe(tap) + " was refused: " + tap.reason, "error");
            return step(i + 1);
          });
        };
        return step(0);
      });
    });
  }

  function later() {
    failures += 1;
    var delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * Math.pow(2, failures - 1));
    delay = delay * (0.8 + Math.random() * 0.4);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(drain, delay);
    return null;
  }

  var signInShown = false;
  var signInNeeded = false;  // the last pass stopped at a sign-in page
  function needSignIn() {
    signInNeeded = true;
    if (signInShown) return;
    signInShown = true;
    toast("Sign in again to send the taps waiting on this phone.", "error");
  }

  // ---- showing it ---------------------------------------------------------------------
  function describe(tap) { return tap.what + (tap.subject ? " " + tap.subject : ""); }
  function hhmm(ms) {
    var d = new Date(ms);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function render() {
    if (!supported || !USER) return Promise.resolve();
    return myTaps().then(function (taps) {
      var waiting = taps.filter(function (t) { return t.state === "waiting"; });
      var refused = taps.filter(function (t) { return t.state === "refused"; });
      var button = document.getElementById("outbox");
      if (button) {
        button.setAttribute("data-count", String(waiting.length));
        button.setAttribute("data-synced", "");  // the counts are the phone's, not the page's 0
        button.setAttribute("data-refused", String(refused.length));
        var count = button.querySelector(".outbox-count");
        if (count) count.textContent = String(waiting.length + refused.length);
        button.setAttribute("aria-label", "Outbox: " + waiting.length + " waiting" +
          (refused.length ? ", " + refused.length + " refused" : ""));
        button.classList.toggle("has-waiting", waiting.length > 0);
        button.classList.toggle("has-refused", refused.length > 0);
      }
      renderHere(waiting.concat(refused));
      renderPanel(waiting, refused);
    }, function () { /* IndexedDB unavailable: nothing to show */ });
  }

  function renderHere(taps) {
    var main = document.getElementById("main");
    if (!main) return;
    var mine = taps.filter(function (t) { return t.page === location.pathname; });
    var region = document.getElementById("outbox-here");
    if (!mine.length) { if (region) region.remove(); return; }
    if (!region) {
      region = el("section", "outbox-here");
      region.id = "outbox-here";
      region.setAttribute("aria-label", "Waiting to send");
      main.insertBefore(region, main.firstChild);
    }
    region.textContent = "";
    var waiting = mine.filter(function (t) { return t.state === "waiting"; }).length;
    region.appendChild(el("p", "outbox-here-title", waiting ?
      (waiting === 1 ? "1 tap made here is waiting to be sent" : waiting + " taps made here are waiting to be sent") :
      "Refused when sent — see the outbox"));
    var list = el("ul", "outbox-here-list");
    mine.forEach(function (t) {
      var li = el("li", t.state === "refused" ? "refused" : "waiting");
      li.setAttribute("data-tap", t.id);
      li.appendChild(el("span", "outbox-what", describe(t)));
      li.appendChild(el("span", "outbox-when", hhmm(t.created) + (t.state === "refused" ? " · refused" : " · waiting")));
      list.appendChild(li);
    });
    region.appendChild(list);
  }

  function renderPanel(waiting, refused) {
    var list = document.getElementById("outbox-list");
    if (!list) return;
    var status = document.getElementById("outbox-status");
    var send = document.querySelector("[data-outbox-send]");
    if (send) send.hidden = !waiting.length;
    list.textContent = "";
    if (status) {
      status.textContent = !waiting.length && !refused.length ? "Everything is sent." :
        waiting.length ? (waiting.length === 1 ? "1 tap is" : waiting.length + " taps are") +
          " waiting on this phone; they are sent as soon as the server answers." :
          "Nothing is waiting. A rule refused what is listed below.";
    }
    refused.concat(waiting).forEach(function (t) {
      var li = el("li", "outbox-item " + t.state);
      li.setAttribute("data-tap", t.id);
      var head = el("div", "outbox-item-head");
      head.appendChild(el("strong", "outbox-what", t.what));
      if (t.subject) head.appendChild(el("span", "outbox-subject", t.subject));
      head.appendChild(el("span", "outbox-when", hhmm(t.created)));
      li.appendChild(head);
      if (t.state === "refused") {
        li.appendChild(el("p", "outbox-reason", "Refused: " + t.reason));
        var row = el("div", "outbox-item-actions");
        var open = el("a", "btn", "Open page");
        open.href = t.page + (t.pageSearch || "");
        row.appendChild(open);
        var dismiss = el("button", "btn", "Dismiss");
        dismiss.type = "button";
        dismiss.setAttribute("data-outbox-dismiss", t.id);
        row.appendChild(dismiss);
        li.appendChild(row);
      } else {
        li.appendChild(el("p", "outbox-state", t.attempts ? "Waiting · tried " + t.attempts + "×" : "Waiting"));
      }
      list.appendChild(li);
    });
  }

  document.addEventListener("click", function (evt) {
    var t = evt.target.closest ? evt.target : null;
    if (!t) return;
    var panel = document.getElementById("outbox-panel");
    if (t.closest("#outbox")) {
      evt.preventDefault();
      if (panel && panel.showModal && !panel.open) { render(); panel.showModal(); }
      return;
    }
    if (t.closest("[data-outbox-close]") && panel) { panel.close(); return; }
    if (t.closest("[data-outbox-send]")) { sessionFresh = false; signInShown = false; failures = 0; drain(); return; }
    var dismiss = t.closest("[data-outbox-dismiss]");
    if (dismiss) { deleteTap(dismiss.getAttribute("data-outbox-dismiss")).then(render); return; }
    if (panel && t === panel) panel.close();  // a tap on the backdrop
  });

  // ---- signing out: warn about waiting taps, then forget the cached pages ----------------
  function clearCachedPages() {
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("growapp-") === 0; })
        .map(function (k) { return caches.delete(k); }));
    }).catch(function () {});
  }
  function signOut(form) {
    clearCachedPages().then(function () { form._outboxGo = true; HTMLFormElement.prototype.submit.call(form); });
  }
  function waitingCount() {
    return myTaps().then(function (taps) {
      return taps.filter(function (t) { return t.state === "waiting"; }).length;
    }, function () { return 0; });
  }
  function taps(n) { return n === 1 ? "1 tap" : n + " taps"; }

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-signout]") || form._outboxGo) return;
    evt.preventDefault();
    evt.stopPropagation();
    var dialog = document.getElementById("signout-dialog");
    waitingCount().then(function (n) {
      if (!n || !dialog || !dialog.showModal) { signOut(form); return; }
      dialog.querySelector("#signout-text").textContent = taps(n) + " not sent — send them now?";
      dialog._form = form;
      dialog.showModal();
    });
  }, true);

  document.addEventListener("click", function (evt) {
    var dialog = document.getElementById("signout-dialog");
    if (!dialog || !evt.target.closest || !dialog.contains(evt.target)) return;
    var form = dialog._form;
    if (evt.target.closest("[data-signout-cancel]")) { dialog.close(); return; }
    if (evt.target.closest("[data-signout-anyway]")) { dialog.close(); signOut(form); return; }
    if (evt.target.closest("[data-signout-send]")) {
      var text = dialog.querySelector("#signout-text");
      text.textContent = "Sending…";
      sessionFresh = false;
      failures = 0;
      drain().then(waitingCount).then(function (n) {
        if (!n) { dialog.close(); signOut(form); return; }
        text.textContent = taps(n) + " still not sent: the server cannot be reached. They stay on this phone for you.";
      });
    }
  });

  // ---- start: on every page load, and whenever the page comes back ------------------------
  function start() {
    if (!USER) { clearCachedPages(); return; }  // signed out: no cached page stays behind
    if (!supported) return;
    if (OFFLINE_COPY) showCopyBanner(OFFLINE_COPY);
    render();
    drain();
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    }
  }
  function showCopyBanner(iso) {
    var main = document.getElementById("main");
    var when = new Date(iso);
    if (!main || isNaN(when)) return;
    var banner = el("div", "offline-banner", "No connection — this is the copy of this page from " +
      hhmm(when.getTime()) + ". Taps are kept on this phone and sent when the server answers.");
    banner.id = "offline-banner";
    banner.setAttribute("role", "status");
    main.insertBefore(banner, main.firstChild);
  }

  document.addEventListener("htmx:afterSettle", function () { render(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) drain(); });
  window.addEventListener("online", function () { failures = 0; drain(); });  // a hint only
  window.growapp = window.growapp || {};
  window.growapp.outbox = { drain: drain, render: render, states: states };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
