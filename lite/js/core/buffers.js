// Memory given back now, not at the next garbage collection of the thread
// (which may come long after: big buffers no longer needed would pile up
// until then): detaching an ArrayBuffer frees its memory. Used for the
// pieces of a file the kernel read (core/rangefile.js), for a file's bytes in
// h5wasm's FS once it is read (core/slicefile.js) and for a mesh's parts once a
// deposit worker holds them in its wasm memory (core/parallel.js). (A buffer
// that arrived in a message is freed only when its thread collects the
// message, whatever is done here: measured in Chromium.)

// Free the memory of `bytes` (a typed array), when it views its whole buffer
// (a piece of a larger one is left alone) and the buffer can be detached.
export function free(bytes) {
  if (!bytes?.buffer || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) return;
  try { bytes.buffer.transfer?.(0); } catch { /* (not detachable: left to the collector) */ }
}
