// The worklist inside Telegram (a Mini App). Telegram's web clients show it in a cross-site
// frame, where the session cookie is not sent, so every request carries Telegram's signed
// initData in a header instead. Pages are fetched and shown in place of this page's body; links,
// forms, images and the worklist's refresh all go through `request`, so none leaves without it.
"use strict";
(() => {
  const HEADER = "X-Telegram-Init-Data";
  const webApp = window.Telegram ? window.Telegram.WebApp : undefined;
  const initData = webApp ? webApp.initData : ""; // outside Telegram: refused, and told so
  let here = "/";
  let refreshTimer = 0;

  function request(url, init = {}) {
    // credentials "omit": initData alone says who asks, never a cookie beside it
    return fetch(url, { ...init, credentials: "omit", headers: { [HEADER]: initData } });
  }

  async function load(url, init) {
    window.clearTimeout(refreshTimer);
    let response;
    try {
      response = await request(url, init);
    } catch (error) {
      failed();
      return;
    }
    const type = response.headers.get("Content-Type") || "";
    if (!type.startsWith("text/html")) {
      save(await response.blob(), response.url);
      return;
    }
    const reached = new URL(response.url);
    here = reached.pathname + reached.search;
    show(new DOMParser().parseFromString(await response.text(), "text/html"));
  }

  function show(page) {
    // An <img> would be fetched without the header: its address is kept, and fetched below.
    const images = [...page.querySelectorAll("img[src]")].map((img) => {
      const src = img.getAttribute("src");
      img.removeAttribute("src");
      return [img, src];
    });
    document.title = page.title;
    document.body.replaceWith(document.adoptNode(page.body));
    window.scrollTo(0, 0);
    images.forEach(([img, src]) => showImage(img, src));
    const refresh = page.querySelector('meta[http-equiv="refresh"]');
    const seconds = refresh ? parseInt(refresh.getAttribute("content"), 10) : 0;
    if (seconds > 0) {
      refreshTimer = window.setTimeout(() => load(here), seconds * 1000);
    }
  }

  async function showImage(img, src) {
    try {
      const response = await request(src);
      if (response.ok) {
        img.src = URL.createObjectURL(await response.blob());
      }
    } catch (error) {
      // the image stays empty; its alt text says what it was
    }
  }

  function save(blob, url) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = new URL(url).pathname.split("/").pop();
    link.click();
  }

  function failed() {
    const main = document.createElement("main");
    const text = document.createElement("p");
    text.className = "notice";
    text.textContent = document.documentElement.dataset.failed;
    main.append(text);
    document.body.replaceChildren(main);
  }

  function sameSite(href) {
    return new URL(href, window.location.origin).origin === window.location.origin;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    const href = link ? link.getAttribute("href") : "";
    if (!href || href.startsWith("#") || !sameSite(href)) {
      return;
    }
    event.preventDefault();
    load(href);
  });

  document.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const button = event.submitter;
    const action = (button && button.getAttribute("formaction")) || form.getAttribute("action") || here;
    const fields = new URLSearchParams(new FormData(form, button));
    if ((form.getAttribute("method") || "get").toLowerCase() === "post") {
      load(action, { method: "POST", body: fields });
    } else {
      const target = new URL(action, window.location.origin);
      target.search = fields.toString();
      load(target.pathname + target.search);
    }
  });

  if (webApp) {
    webApp.ready();
    webApp.expand();
  }
  load("/");
})();
