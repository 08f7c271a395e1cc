// sitegen preview: reload the page after each successful build; show the errors of a failed one.
// Injected by `sitegen serve` only, never part of a built site. The server's event stream sends
// `reload` ({"build": id, "warnings": [{path, line, severity, message}]}) and `build-error`
// ([{path, line, severity, message}], errors then warnings) events.
// (`error` is taken: EventSource fires it itself when the connection drops.)
// Warnings of a good build are listed in a small panel in a corner that never blocks the page.
(() => {
  "use strict";
  const script = document.currentScript;
  const pageBuild = script.dataset.build;
  const eventsUrl = script.dataset.events;
  const overlayId = "sitegen-error-overlay";
  const warningsId = "sitegen-warnings";
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

  function located(d) {
    const where = d.line == null ? d.path : `${d.path}:${d.line}`;
    return `${where}: ${d.severity}: ${d.message}`;
  }

  function hideWarnings() {
    const panel = document.getElementById(warningsId);
    if (panel) panel.remove();
  }

  function showWarnings(warnings) {
    hideWarnings();
    if (!warnings.length) return;
    const panel = document.createElement("section");
    panel.id = warningsId;
    panel.setAttribute("role", "status");
    panel.setAttribute("aria-label", "sitegen warnings");
    panel.style.cssText =
      "position:fixed;right:1rem;bottom:1rem;z-index:2147483646;max-width:min(42rem,calc(100vw - 2rem));" +
      "max-height:40vh;overflow:auto;box-sizing:border-box;padding:.75rem 1rem;border-radius:.5rem;" +
      "background:#3b2f00;color:#fff;box-shadow:0 4px 16px rgba(0,0,0,.4);" +
      "font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Dismiss the warnings");
    close.style.cssText = "float:right;margin-left:1rem;font:inherit;font-size:1.2em;background:none;" +
      "color:inherit;border:0;cursor:pointer";
    close.addEventListener("click", hideWarnings);
    panel.append(close, line(`sitegen: ${warnings.length} warning(s); the site built.`,
                             "font-weight:bold;margin-bottom:.5rem"));
    for (const d of warnings) panel.append(line(located(d), "margin:.2rem 0"));
    document.body.append(panel);
  }

  function showErrors(diagnostics) {
    hideErrors();
    hideWarnings();
    const overlay = document.createElement("div");
    overlay.id = overlayId;
    overlay.setAttribute("role", "alert");
    overlay.style.cssText =
      "position:fixed;inset:0;z-index:2147483647;overflow:auto;box-sizing:border-box;" +
      "padding:2rem;background:rgba(40,0,0,.94);color:#fff;" +
      "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap";
    overlay.append(line("sitegen: the build failed; showing the last good site until it is fixed.",
                        "font-weight:bold;margin-bottom:1rem"));
    for (const d of diagnostics) overlay.append(line(located(d), "margin:.25rem 0"));
    document.body.append(overlay);
  }

  function connect() {
    if (source) return;
    source = new EventSource(eventsUrl);
    source.addEventListener("reload", (event) => {
      const status = JSON.parse(event.data);
      if (status.build !== pageBuild) {
        location.reload();
        return;
      }
      hideErrors();
      showWarnings(status.warnings || []);
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
