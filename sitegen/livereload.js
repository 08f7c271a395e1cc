// sitegen preview: reload the page after each successful build; show the errors of a failed one.
// Injected by `sitegen serve` only, never part of a built site. The server's event stream sends
// `reload` ({"build": id}) and `build-error` ([{path, line, severity, message}]) events.
// (`error` is taken: EventSource fires it itself when the connection drops.)
(() => {
  "use strict";
  const script = document.currentScript;
  const pageBuild = script.dataset.build;
  const eventsUrl = script.dataset.events;
  const overlayId = "sitegen-error-overlay";
  let source = null;

  function hideErrors() {
    const overlay = document.getElementById(overlayId);
    if (overlay) overlay.remove();
  }

  function line(text, css) {
    const row = document.createElement("div");
    row.textContent = text; // never innerHTML: messages quote curators' files
    row.style.cssText = css;
    return row;
  }

  function showErrors(diagnostics) {
    hideErrors();
    const overlay = document.createElement("div");
    overlay.id = overlayId;
    overlay.setAttribute("role", "alert");
    overlay.style.cssText =
      "position:fixed;inset:0;z-index:2147483647;overflow:auto;box-sizing:border-box;" +
      "padding:2rem;background:rgba(40,0,0,.94);color:#fff;" +
      "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap";
    overlay.append(line("sitegen: the build failed; showing the last good site until it is fixed.",
                        "font-weight:bold;margin-bottom:1rem"));
    for (const d of diagnostics) {
      const where = d.line == null ? d.path : `${d.path}:${d.line}`;
      overlay.append(line(`${where}: ${d.severity}: ${d.message}`, "margin:.25rem 0"));
    }
    document.body.append(overlay);
  }

  function connect() {
    if (source) return;
    source = new EventSource(eventsUrl);
    source.addEventListener("reload", (event) => {
      if (JSON.parse(event.data).build !== pageBuild) location.reload();
      else hideErrors();
    });
    source.addEventListener("build-error", (event) => showErrors(JSON.parse(event.data)));
  }

  function disconnect() {
    if (source) source.close();
    source = null;
  }

  // Hidden tabs let go of their stream, so many open tabs never exhaust the browser's
  // per-host connection limit; a tab coming back asks for the current build and catches up.
  document.addEventListener("visibilitychange", () => (document.hidden ? disconnect() : connect()));
  window.addEventListener("pagehide", disconnect);
  window.addEventListener("pageshow", () => document.hidden || connect());
  if (!document.hidden) connect();
})();
