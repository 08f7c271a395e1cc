// The Cite block's copy button. Without JavaScript the entry is plain selectable text and
// the .bib link downloads it, so the button only exists where it can work.
for (const block of document.querySelectorAll("[data-cite]")) {
  const source = block.querySelector("pre");
  const status = block.querySelector("[data-cite-status]");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "cite-copy";
  button.textContent = "Copy BibTeX";
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent);
      status.textContent = "BibTeX entry copied.";
    } catch {
      // No clipboard permission (an insecure origin, a denied prompt): select it for Ctrl+C.
      getSelection().selectAllChildren(source);
      status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected entry.";
    }
  });
  block.querySelector(".cite-actions").prepend(button);
}
