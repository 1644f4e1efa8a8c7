/* growapp service worker (served as /sw.js, scope "/"): floor pages visited before open
   without a connection. Network first; when the server cannot be reached, the copy kept
   from the last visit, marked <html data-offline-copy="ISO time"> so the page says how old
   it is. Taps do not depend on this worker: the outbox (outbox.js) runs in the page.
   Signing out deletes these caches (outbox.js). */
"use strict";

// Static files have content-hashed names (growapp/http/static_assets.py): /sw.js replaces the
// next line with this build's hashed URLs and version, so a new build is a new worker whose
// "activate" drops the previous build's assets.
var BUILD = {"version": "dev", "precache": ["/static/css/app.css", "/static/js/app.js", "/static/js/outbox.js", "/static/vendor/htmx-2.0.11.min.js", "/static/icons/leaf.svg", "/static/icons/app.svg"]};
var PAGES = "growapp-pages-v1";
var ASSETS = "growapp-assets-" + BUILD.version;
var FLOOR = [/^\/p\/[0-9a-f-]{36}$/, /^\/t\/[0-9a-f-]{36}$/,
             /^\/experiments\/\d+\/(feeding|feeding\/scan|observe|rotation)$/];
var PRECACHE = BUILD.precache;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(ASSETS).then(function (cache) {
    return Promise.all(PRECACHE.map(function (url) { return cache.add(url).catch(function () {}); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("growapp-") === 0 && k !== PAGES && k !== ASSETS; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && FLOOR.some(function (re) { return re.test(url.pathname); })) {
    event.respondWith(page(req));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(asset(req));
  }
});

function page(req) {
  return fetch(req).then(function (res) {
    var type = res.headers.get("Content-Type") || "";
    if (res.status === 200 && !res.redirected && type.indexOf("text/html") === 0) {
      var copy = res.clone();
      copy.text().then(function (html) {
        var headers = new Headers(copy.headers);
        headers.set("X-Growapp-Cached-At", new Date().toISOString());
        headers.delete("Content-Length");
        return caches.open(PAGES).then(function (cache) {
          return cache.put(req.url, new Response(html, { status: 200, headers: headers }));
        });
      }).catch(function () {});
    }
    return res;
  }, function (err) {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(req.url).then(function (hit) { return hit || cache.match(req.url, { ignoreSearch: true }); });
    }).then(function (hit) {
      if (!hit) throw err;
      var at = hit.headers.get("X-Growapp-Cached-At") || "";
      var headers = new Headers(hit.headers);
      return hit.text().then(function (html) {
        html = html.replace(/<html\b/i, '<html data-offline-copy="' + at + '"');
        return new Response(html, { status: 200, headers: headers });
      });
    });
  });
}

function asset(req) {
  return fetch(req).then(function (res) {
    if (res.status === 200) {
      var copy = res.clone();
      caches.open(ASSETS).then(function (cache) { return cache.put(req, copy); }).catch(function () {});
    }
    return res;
  }, function (err) {
    return caches.open(ASSETS).then(function (cache) {
      return cache.match(req, { ignoreSearch: true });
    }).then(function (hit) { if (!hit) throw err; return hit; });
  });
}
