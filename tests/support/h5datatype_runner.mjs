// Runner for tests/test_readers.py: the layout of every dataset of /grid as
// the front end reads it from the file's bytes (lite/js/core/h5datatype.js,
// at the address h5wasm gives as the dataset's object reference).
//
//   node tests/support/h5datatype_runner.mjs FILE.h5 ... -> {"FILE.h5": {"key": layout | null}}
//   (and "key#attributes": the number of attribute messages its header holds, continuation blocks followed;
//   "key#storage": where its values lie, {address, size} | null (datasetStorage); "/": the layouts of the
//   root's number attributes, {name: layout})
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { attributeLayouts, datasetLayout, datasetStorage, headerMessages, superblockSizes } from "../../lite/js/core/h5datatype.js";

const gen = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "ytlite", "_generated");
const h5 = new Function(`${fs.readFileSync(path.join(gen, "h5wasm.js"), "utf8")}\n;return h5wasm;`)();
await h5.ready;
const out = {};
for (const file of process.argv.slice(2)) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  h5.FS.writeFile("/layout.h5", bytes);
  const f = new h5.File("/layout.h5", "r");
  const read = (position, length) => bytes.subarray(position, position + length);
  const sizes = superblockSizes(read);
  const layouts = (out[file] = {});
  for (const key of f.get("grid").keys()) {
    const ref = h5.Module.create_object_reference(f.file_id, `/grid/${key}`);
    const address = Array.from(ref).reduceRight((v, b) => v * 256 + b, 0);
    layouts[key] = datasetLayout(read, address, sizes);
    layouts[`${key}#storage`] = datasetStorage(read, address, sizes);
    layouts[`${key}#attributes`] = headerMessages(read, address, sizes)?.filter((m) => m.type === 0x000c).length ?? null;
  }
  const root = h5.Module.create_object_reference(f.file_id, "/");
  layouts["/"] = attributeLayouts(read, Array.from(root).reduceRight((v, b) => v * 256 + b, 0), sizes);
  f.close();
  h5.FS.unlink("/layout.h5");
}
process.stdout.write(JSON.stringify(out));
