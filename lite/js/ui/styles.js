// The viewer's CSS, added once per document (or shadow root).

const CSS = `
.ytlite-viewer { font: 12px system-ui, sans-serif; color: var(--ytlite-fg, #222); display: inline-block;
  position: relative; user-select: none; max-width: 100%; background: var(--ytlite-bg, #fff); }
.ytlite-viewer:fullscreen { display: flex; flex-direction: column; align-items: center; justify-content: center;
  overflow: auto; }
.ytlite-toolbar { display: flex; flex-wrap: wrap; gap: 6px 6px; align-items: stretch; margin: 0 0 6px 0; }
/* above the figure (a notebook): compact, the groups side by side with a rule between them */
.ytlite-group { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; padding: 0 8px 0 0;
  border-right: 1px solid #d0d0d0; }
.ytlite-group:last-child { border-right: none; }
.ytlite-toolbar button { display: inline-flex; gap: 4px; align-items: center; }
.ytlite-icon { font-size: 1.15em; line-height: 1; }
.ytlite-toolbar :focus-visible { outline: 2px solid var(--ytlite-accent, #1f5fbf); outline-offset: 1px; }
/* a toolbar in a side panel (the viewer page): one group under the other */
.ytlite-toolbar.ytlite-panel { flex-direction: column; margin: 0; }
.ytlite-toolbar.ytlite-panel .ytlite-group { padding: 8px; gap: 8px; border: none; border-radius: 6px;
  background: var(--ytlite-panel, #f3f4f6); }
.ytlite-toolbar.ytlite-panel .ytlite-group::before { content: attr(aria-label); display: block; width: 100%;
  font-weight: 600; text-transform: capitalize; color: var(--ytlite-muted, #555); }
.ytlite-toolbar.ytlite-panel select, .ytlite-toolbar.ytlite-panel button { min-height: 32px; }
.ytlite-toolbar label { display: inline-flex; gap: 3px; align-items: center; white-space: nowrap; }
.ytlite-toolbar input[type=text], .ytlite-toolbar input[type=search] { width: 7em; font: inherit; }
.ytlite-toolbar input.ytlite-cmap { width: 9em; }
.ytlite-toolbar select, .ytlite-toolbar button, .ytlite-toolbar input { font: inherit; }
.ytlite-toolbar button[aria-pressed=true] { background: #d8e6fb; border-color: #6a8fd0; }
.ytlite-toolbar input.ytlite-invalid { outline: 2px solid #d33; }
.ytlite-title { font-weight: 600; margin: 0 0 4px 64px; min-height: 1.3em; }
.ytlite-subtitle { font-weight: 400; color: var(--ytlite-muted, #555); }
.ytlite-caption { font-size: 16px; margin: 2px 0 6px 64px; max-width: 60ch; display: none; }
.ytlite-stage { position: relative; }
.ytlite-viewer.ytlite-dropping { outline: 3px dashed #6a8fd0; outline-offset: 2px; }
.ytlite-figure { position: relative; transform-origin: 0 0; }
.ytlite-stage canvas { position: absolute; left: 0; top: 0; }
.ytlite-figure.ytlite-enlarged canvas.ytlite-image, .ytlite-figure.ytlite-enlarged canvas.ytlite-mesh {
  image-rendering: pixelated; }
.ytlite-stage canvas.ytlite-axes, .ytlite-stage canvas.ytlite-mesh { pointer-events: none; }
.ytlite-stage canvas.ytlite-image { cursor: grab; touch-action: none; outline: none;
  background: repeating-conic-gradient(#eee 0 25%, #fff 0 50%) 0 0 / 16px 16px; }
.ytlite-stage canvas.ytlite-image:focus-visible { box-shadow: 0 0 0 2px #6a8fd0; }
.ytlite-stage canvas.ytlite-image.ytlite-dragging { cursor: grabbing; }
.ytlite-note { position: absolute; padding: 2px 6px; background: rgba(255,255,255,0.85); color: #555;
  border-radius: 3px; pointer-events: none; display: none; }
.ytlite-error { position: absolute; right: 0; padding: 8px; background: #fde8e8; color: #8a1c1c;
  border: 1px solid #e0a0a0; white-space: pre-wrap; display: none; }
.ytlite-readout { margin: 2px 0 0 64px; min-height: 1.3em; font-family: monospace; color: var(--ytlite-fg, #444); }
`;

export function ensureStyles(node) {
  const root = node.getRootNode ? node.getRootNode() : document;
  const host = root instanceof ShadowRoot ? root : document.head;
  if (!host.querySelector("style[data-ytlite]")) {
    const style = document.createElement("style");
    style.dataset.ytlite = "";
    style.textContent = CSS;
    host.append(style);
  }
}
