/* growapp scanner: the rear camera reads growapp QR labels on /scan (opens what the label
   names) and in scan to feed (each label logs one feeding).

   Decoding: the browser's BarcodeDetector where it reads QR codes, else the vendored jsQR
   on canvas frames (loaded only then). The camera needs a secure context (HTTPS or
   localhost); without one the page says so and the focused input still takes what a
   hardware scanner types. Loaded by app.js when a page has [data-scan-script] (htmx runs
   no scripts from swapped pages); strict CSP: no inline script, no eval. */
(function () {
  "use strict";

  var FRAME_MS = 150;          // one decode attempt per 150 ms is plenty for a held label
  var MAX_SIDE = 800;          // jsQR frames are scaled down to this (speed on phones)
  var NOTE_AGAIN_MS = 4000;    // "already fed" is said at most this often per label
  var RETRY_AFTER_MS = 4000;   // a refused label is not posted again before this
  var LABEL_RE = /(?:^|\/)(p|t)\/([0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})\/?(?:[?#].*)?$/i;

  var active = [];             // running scanners (to stop their cameras when leaving)

  // Decoders ------------------------------------------------------------------------------

  var decoderPromise = null;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(); return; }
      var s = document.createElement("script");
      s.src = src;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error("decoder did not load")); };
      document.head.appendChild(s);
    });
  }

  function jsqrDecoder() {
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    return function (video) {
      var w = video.videoWidth, h = video.videoHeight;
      if (!w || !h) return Promise.resolve(null);
      var scale = Math.min(1, MAX_SIDE / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
      return Promise.resolve(code && code.data ? code.data : null);
    };
  }

  function getDecoder(src) {
    if (decoderPromise) return decoderPromise;
    var fallback = function () {
      return loadScript(src).then(jsqrDecoder, function (err) {
        decoderPromise = null;  // try again at the next start
        throw err;
      });
    };
    if ("BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats) {
      decoderPromise = window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) return fallback();
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function (video) {
          return detector.detect(video).then(function (codes) {
            return codes.length ? codes[0].rawValue : null;
          });
        };
      }, fallback);
    } else {
      decoderPromise = fallback();
    }
    return decoderPromise;
  }

  // Feedback: vibration, a short beep, the status line --------------------------------------

  var audio = null;

  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio) { try { audio = new Ctx(); } catch (e) { audio = null; return; } }
    if (audio.state === "suspended") audio.resume();
  }

  function beep(kind) {
    unlockAudio();
    if (!audio) return;
    var tones = { ok: [[1320, 0.09]], wait: [[990, 0.09]], again: [[700, 0.06], [700, 0.06]], problem: [[220, 0.25]] }[kind];
    var t = audio.currentTime;
    tones.forEach(function (tone) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = tone[0];
      osc.type = kind === "problem" ? "square" : "sine";
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + tone[1]);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + tone[1] + 0.02);
      t += tone[1] + 0.05;
    });
  }

  function buzz(kind) {
    if (!navigator.vibrate) return;
    navigator.vibrate({ ok: 80, wait: [80, 40, 80], again: [40, 60, 40], problem: [120, 80, 120] }[kind]);
  }

  function confirmScan(kind) { buzz(kind); beep(kind); }

  // One scanner on a page ---------------------------------------------------------------------

  function Scanner(root, onText) {
    this.root = root;
    this.onText = onText;
    this.view = root.querySelector(".scanner-view");
    this.video = root.querySelector(".scanner-video");
    this.status = root.querySelector(".scanner-status");
    this.startBtn = root.querySelector(".scanner-start");
    this.stopBtn = root.querySelector(".scanner-stop");
    this.stream = null;
    this.timer = null;
    this.busy = false;
    var self = this;
    this.startBtn.addEventListener("click", function () { unlockAudio(); self.start(); });
    this.stopBtn.addEventListener("click", function () { self.stop(); self.say("Camera off."); });
  }

  Scanner.prototype.say = function (text) { this.status.textContent = text; };

  Scanner.prototype.canUseCamera = function () {
    return window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  };

  Scanner.prototype.offerStart = function () {
    if (!this.canUseCamera()) {
      this.root.querySelector(".scanner-insecure").hidden = false;
      this.root.setAttribute("data-camera", "insecure");
      return false;
    }
    this.startBtn.hidden = false;
    // Fetch the decoder now, while the page has a connection: a scan made later without
    // one (the outbox keeps it) still needs it.
    getDecoder(this.root.getAttribute("data-decoder-src")).catch(function () {});
    return true;
  };

  Scanner.prototype.start = function () {
    var self = this;
    if (this.stream || !this.offerStart()) return;
    this.startBtn.hidden = true;
    this.say("Starting the camera…");
    var decoderSrc = this.root.getAttribute("data-decoder-src");
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }
    }).then(function (stream) {
      if (!document.contains(self.root)) { stopTracks(stream); return; }
      self.stream = stream;
      self.video.srcObject = stream;
      self.view.hidden = false;
      self.stopBtn.hidden = false;
      self.root.setAttribute("data-camera", "on");
      if (active.indexOf(self) < 0) active.push(self);
      var played = self.video.play();
      if (played && played.catch) played.catch(function () { /* muted autoplay may wait */ });
      self.say("Hold a label inside the frame.");
      return getDecoder(decoderSrc).then(function (decode) {
        self.decode = decode;
        self.tick();
      });
    }).catch(function (err) {
      self.stop();
      self.startBtn.hidden = false;
      self.root.setAttribute("data-camera", "failed");
      var name = err && err.name;
      self.say(name === "NotAllowedError" || name === "SecurityError"
        ? "The camera is blocked. Allow it for this site in the browser's settings, or use a hardware scanner or type the code below."
        : name === "NotFoundError" || name === "OverconstrainedError"
          ? "No camera was found. Use a hardware scanner or type the code below."
          : "The camera did not start (" + (err && err.message || name || "unknown error") + "). Try again, or type the code below.");
    });
  };

  Scanner.prototype.tick = function () {
    var self = this;
    if (!this.stream) return;
    if (!document.contains(this.video)) { this.stop(); return; }
    this.timer = setTimeout(function () {
      if (!self.stream || self.busy || self.video.readyState < 2) { self.tick(); return; }
      self.busy = true;
      self.decode(self.video).then(function (text) {
        self.busy = false;
        if (text && self.stream) self.onText(text, self);
        self.tick();
      }, function () { self.busy = false; self.tick(); });
    }, FRAME_MS);
  };

  Scanner.prototype.stop = function () {
    clearTimeout(this.timer);
    if (this.stream) stopTracks(this.stream);
    this.stream = null;
    if (this.video) this.video.srcObject = null;
    if (this.view) this.view.hidden = true;
    if (this.stopBtn) this.stopBtn.hidden = true;
    if (this.startBtn && this.canUseCamera()) this.startBtn.hidden = false;
    this.root.setAttribute("data-camera", "off");
    var i = active.indexOf(this);
    if (i >= 0) active.splice(i, 1);
  };

  function stopTracks(stream) {
    stream.getTracks().forEach(function (t) { t.stop(); });
  }

  function stopAll() { active.slice().forEach(function (s) { s.stop(); }); }

  // /scan: open what the label names ------------------------------------------------------------

  function initOpen(root) {
    var form = document.querySelector(".scan-form");
    var input = form && form.querySelector("input[name=q]");
    var scanner = new Scanner(root, function (text, sc) {
      sc.stop();
      sc.say("Read a label. Opening…");
      confirmScan("ok");
      input.value = text;
      form.submit();  // the server resolves it, as for a typed code (GET /scan?q=)
    });
    if (root.getAttribute("data-autostart") === "true" && scanner.canUseCamera()) scanner.start();
    else scanner.offerStart();
  }

  // Scan to feed ------------------------------------------------------------------------------

  function labelKey(text) {
    var m = LABEL_RE.exec(text.trim());
    return m ? m[2].replace(/-/g, "").toLowerCase() : text.trim().toUpperCase();
  }

  function ago(ms) {
    var s = Math.max(1, Math.round(ms / 1000));
    if (s < 60) return s + " s";
    var m = Math.round(s / 60);
    return m < 60 ? m + " min" : Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function clock(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  }

  function initFeed(root) {
    var form = document.getElementById("scan-feed-form");
    var input = form.querySelector("input[name=code]");
    var log = document.getElementById("scan-feed-log");
    var storeKey = "growapp.scan-feed." + form.getAttribute("data-experiment");
    // label key → {at, name, waiting?, tap?}: this browser session's scans that logged, or
    // that wait in the outbox (tap: its idempotency key), so a label seen again never
    // makes a second tap
    var fed = {};
    var noted = {};      // label key → when "already fed" was last said
    var refused = {};    // label key → when a post was last refused
    var chain = Promise.resolve();
    try { fed = JSON.parse(window.sessionStorage.getItem(storeKey) || "{}") || {}; } catch (e) { fed = {}; }

    function save() {
      try { window.sessionStorage.setItem(storeKey, JSON.stringify(fed)); } catch (e) { /* private mode */ }
    }

    // kind: ok | again | wait | problem. ``node``: a line the server made; ``replace``: the
    // line it takes the place of (a waiting scan that has now been answered).
    function line(kind, text, node, replace) {
      var li = node || document.createElement("li");
      li.className = "scan-line scan-line-" + kind;
      if (!node) {
        var span = document.createElement("span");
        span.className = "scan-line-text";
        span.textContent = text;
        li.appendChild(span);
      }
      var time = document.createElement("time");
      time.className = "scan-line-time";
      time.textContent = clock(new Date());
      li.appendChild(time);
      if (replace && replace.parentNode === log) log.replaceChild(li, replace);
      else log.insertBefore(li, log.firstChild);
      while (log.children.length > 30) log.removeChild(log.lastChild);
      return li;
    }

    function waitingLine(tap) {
      return tap ? log.querySelector('li[data-tap="' + tap + '"]') : null;
    }

    // What the operator calls the label: the plant code when the queue on the page shows it.
    function shortName(text) {
      var m = LABEL_RE.exec(text);
      if (!m) return text.toUpperCase();
      var row = m[1].toLowerCase() === "p" ? document.getElementById("feed-" + m[2].toLowerCase()) : null;
      var code = row && row.querySelector("strong");
      return code ? code.textContent.trim() : (m[1].toLowerCase() === "p" ? "plant" : "tray") + " label …" + m[2].slice(-6);
    }

    function scanned(text) {
      text = (text || "").trim();
      if (!text) return;
      var key = labelKey(text), now = Date.now(), seen = fed[key];
      if (seen) {
        if (seen.pending) return;  // being sent right now: its answer says what happened
        if (now - (noted[key] || 0) >= NOTE_AGAIN_MS) {
          noted[key] = now;
          line("again", (seen.name || text) + (seen.waiting
            ? ": waiting to send, scanned " + ago(now - seen.at) + " ago"
            : ": already fed " + ago(now - seen.at) + " ago"));
          confirmScan("again");
        }
        return;
      }
      if (now - (refused[key] || 0) < RETRY_AFTER_MS) return;
      fed[key] = { at: now, name: "", pending: true };
      var body = new FormData(form);
      body.set("code", text);
      body.set("idempotency_key", newKey());  // one key per scan, made on the phone
      chain = chain.then(function () { return send(body, key, text); });
    }

    function send(body, key, text) {
      // The offline outbox takes the post (cancels the event): it keeps the scan on the
      // phone until the server answers and replays it with the same key.
      var tap = body.get("idempotency_key"), name = shortName(text);
      return new Promise(function (resolve) {
        var detail = {
          form: form, url: form.action, body: body, key: tap, region: "#feeding-queue",
          what: form.getAttribute("data-outbox-what") || "Scan to feed", subject: name,
          onAnswer: function (kind, status, html) {
            if (kind === "waiting" || kind === "signin") waiting(key, tap, name, kind);
            else if (kind === "lost") lost(key, text);
            else answer(status, html, key, text, waitingLine(tap));
            resolve();
          }
        };
        var taken = !form.dispatchEvent(new CustomEvent("growapp:outbox-post", {
          bubbles: true, cancelable: true, detail: detail }));
        if (!taken) direct(body, key, text).then(resolve, resolve);
      });
    }

    function waiting(key, tap, name, kind) {
      fed[key] = { at: (fed[key] && fed[key].at) || Date.now(), name: name, waiting: true, tap: tap };
      save();
      var li = line("wait", name + (kind === "signin"
        ? ": waiting to send — sign in again and it is sent"
        : ": waiting to send (no connection; kept on this phone)"));
      li.setAttribute("data-tap", tap);
      confirmScan("wait");
    }

    function lost(key, text) {
      delete fed[key];
      refused[key] = Date.now();
      line("problem", text + ": no connection, not saved. Scan it again when you have signal.");
      confirmScan("problem");
    }

    function direct(body, key, text) {  // no outbox (no IndexedDB): one fetch
      return fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "HX-Request": "true", "Accept": "text/html" }
      }).then(function (resp) {
        if (resp.redirected && /\/login/.test(resp.url)) {
          delete fed[key];
          line("problem", text + ": not saved, your session ended. Sign in again, then scan it again.");
          confirmScan("problem");
          return null;
        }
        return resp.text().then(function (html) { answer(resp.status, html, key, text, null); });
      }, function () { lost(key, text); });
    }

    function answer(status, html, key, text, replace) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var li = doc.querySelector("li.scan-line");
      var waited = !!(fed[key] && fed[key].waiting);
      if (status >= 200 && status < 300 && li) {
        var name = li.getAttribute("data-name") || text;
        var entry = { at: fed[key] ? fed[key].at : Date.now(), name: name };
        fed[key] = entry;
        var label = (li.getAttribute("data-label") || "").replace(/-/g, "").toLowerCase();
        if (label) fed[label] = entry;  // the same label read as its URL or its code
        if (name) fed[name.toUpperCase()] = entry;
        save();
        var node = document.importNode(li, true);
        if (waited) node.querySelector(".scan-line-text").textContent += " Sent from the outbox.";
        line("ok", "", node, replace);
        if (!waited) confirmScan("ok");
        refreshQueue();
        return;
      }
      delete fed[key];
      save();
      refused[key] = Date.now();
      var detail = li ? li.textContent.trim() : (doc.querySelector(".problem-detail") || {}).textContent;
      line("problem", (waited ? text + ": refused when sent. " : "") + (detail || (text + ": not saved (" + status + ").")), null, replace);
      confirmScan("problem");
    }

    // A scan that waited in the outbox while this page was reloaded lands: show it here.
    document.addEventListener("growapp:outbox-landed", function (evt) {
      var d = evt.detail || {};
      if (!document.contains(form) || d.url !== form.action) return;
      evt.preventDefault();
      var key = null;
      Object.keys(fed).forEach(function (k) { if (fed[k].tap === d.id) key = k; });
      answer(d.status, d.html, key || d.id, d.subject || "", waitingLine(d.id));
    });

    // Scans that were waiting before a reload: sent meanwhile, or refused (listed in the outbox).
    var waitingTaps = Object.keys(fed).filter(function (k) { return fed[k].waiting; });
    if (waitingTaps.length && window.growapp && window.growapp.outbox && window.growapp.outbox.states) {
      window.growapp.outbox.states(waitingTaps.map(function (k) { return fed[k].tap; })).then(function (st) {
        waitingTaps.forEach(function (k) {
          if (!fed[k] || !fed[k].waiting) return;
          var state = st[fed[k].tap];
          if (!state) fed[k].waiting = false;       // it was sent
          else if (state === "refused") delete fed[k];
        });
        save();
      }, function () {});
    }

    var refreshTimer = null;
    function refreshQueue() {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(function () {
        if (window.htmx && document.getElementById("feeding-queue")) {
          window.htmx.ajax("GET", form.getAttribute("data-refresh"),
            { target: "#feeding-queue", select: "#feeding-queue", swap: "outerHTML" });
        }
      }, 400);
    }

    form.addEventListener("submit", function (evt) {  // a hardware scanner's Enter, or Feed
      evt.preventDefault();
      unlockAudio();
      scanned(input.value);
      input.value = "";
      input.focus();
    });

    var scanner = new Scanner(root, function (text) { scanned(text); });
    scanner.offerStart();
  }

  // Wiring ------------------------------------------------------------------------------------

  function init() {
    document.querySelectorAll("[data-scanner]:not([data-scanner-ready])").forEach(function (root) {
      root.setAttribute("data-scanner-ready", "");
      if (root.getAttribute("data-scanner") === "feed") initFeed(root);
      else initOpen(root);
    });
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.target === document.body) stopAll();  // boosted navigation away
  });
  window.addEventListener("pagehide", stopAll);
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) stopAll();  // the camera stays off until the operator taps Start
  });

  window.growappScan = { init: init };
  init();
})();
