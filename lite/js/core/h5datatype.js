// The layout of the numbers a dataset of an HDF5 file declares (its datatype
// message), read from the file's own bytes: h5wasm's metadata gives a
// datatype's class and size but not its layout (exponent bias and size,
// precision, bit offset ...), and h5wasm reads the raw bytes whatever the
// layout says, where h5py converts them. conventions.numberLayoutProblem says
// what a reader makes of it (ytlite/_hdf5.py asks h5py for the same).
//
// From the HDF5 file format specification (version 3.0): the superblock
// (sizes of offsets and lengths), object headers of version 1 and 2 with
// their continuation blocks, and the datatype message (type 0x0003) of the
// fixed-point (class 0) and floating-point (class 1) classes. A hostile file
// cannot make this loop or read much: at most MAX_BLOCKS header blocks of at
// most MAX_BLOCK bytes each; anything it cannot follow gives null (no layout
// read: nothing to say), never an exception.

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_BLOCKS = 64;
const MAX_BLOCK = 1 << 20;
const DATATYPE = 0x0003;
const ATTRIBUTE = 0x000c;
const CONTINUATION = 0x0010;

// `read(position, length)` -> Uint8Array of the file's bytes there (fewer at its end).
// -> {offsets, lengths}: the byte sizes of addresses and lengths, or null (no superblock found)
export function superblockSizes(read) {
  // (the superblock is at 0, or at 512, 1024, 2048 ... after a user block)
  for (let at = 0; at <= 1 << 20; at = at ? at * 2 : 512) {
    const b = read(at, 16);
    if (b.length < 16 || !SIGNATURE.every((v, i) => b[i] === v)) continue;
    const version = b[8];
    const [offsets, lengths] = version <= 1 ? [b[13], b[14]] : [b[9], b[10]];
    return [2, 4, 8].includes(offsets) && [2, 4, 8].includes(lengths) ? { offsets, lengths } : null;
  }
  return null;
}

const uint = (b, at, n) => {
  let v = 0;
  for (let k = n - 1; k >= 0; k--) v = v * 256 + b[at + k];
  return v;
};

// The messages of the object header at `address`: [{type, data}], or null when it cannot be followed.
export function headerMessages(read, address, sizes) {
  const first = read(address, 16);
  if (first.length < 16) return null;
  const out = [];
  const blocks = [];
  let v2 = false;
  if (first[0] === 0x4f && first[1] === 0x48 && first[2] === 0x44 && first[3] === 0x52) { // "OHDR"
    if (first[4] !== 2) return null;
    v2 = true;
    const flags = first[5];
    let p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const width = 1 << (flags & 3);
    const head = read(address, p + width);
    if (head.length < p + width) return null;
    const size = uint(head, p, width);
    p += width;
    blocks.push({ start: address + p, length: size, flags });
  } else if (first[0] === 1) {
    blocks.push({ start: address + 16, length: uint(first, 8, 4) });
  } else {
    return null;
  }
  for (let k = 0; k < blocks.length; k++) {
    if (k >= MAX_BLOCKS) return null;
    const { start, length } = blocks[k];
    if (!(length > 0 && length <= MAX_BLOCK)) return null;
    const b = read(start, length);
    if (b.length < length) return null;
    let p = 0, end = length;
    if (v2) {
      if (k > 0) { // a continuation block: "OCHK", messages, checksum
        if (!(b[0] === 0x4f && b[1] === 0x43 && b[2] === 0x48 && b[3] === 0x4b)) return null;
        p = 4;
        end = length - 4;
      }
    }
    const flags = blocks[0].flags ?? 0;
    while (true) {
      const headerSize = v2 ? 4 + (flags & 0x04 ? 2 : 0) : 8;
      if (p + headerSize > end) break; // (a gap too small for a message)
      const type = v2 ? b[p] : uint(b, p, 2);
      const size = v2 ? uint(b, p + 1, 2) : uint(b, p + 2, 2);
      const data = b.subarray(p + headerSize, p + headerSize + size);
      if (data.length < size) return null;
      out.push({ type, data });
      if (type === CONTINUATION) {
        if (size < sizes.offsets + sizes.lengths) return null;
        blocks.push({ start: uint(data, 0, sizes.offsets), length: uint(data, sizes.offsets, sizes.lengths) });
      }
      p += headerSize + size;
    }
  }
  return out;
}

// The layout of a datatype message's fixed-point or floating-point type, as
// conventions.numberLayoutProblem takes it; null for any other class.
export function datatypeLayout(data) {
  if (data.length < 12) return null;
  const cls = data[0] & 0x0f;
  const bits = data[1] | (data[2] << 8) | (data[3] << 16);
  const size = uint(data, 4, 4);
  const offset = uint(data, 8, 2), precision = uint(data, 10, 2);
  if (cls === 0) return { cls: "integer", size, order: bits & 1 ? "big" : "little", offset, precision };
  if (cls !== 1 || data.length < 20) return null;
  // byte order: bits 6 and 0 (00 little, 01 big, 11 VAX, 10 reserved)
  const order = ["little", "big", "reserved", "vax"][((bits >> 5) & 2) | (bits & 1)];
  return {
    cls: "float", size, order, offset, precision,
    sign: (bits >> 8) & 0xff, epos: data[12], esize: data[13], mpos: data[14], msize: data[15],
    ebias: uint(data, 16, 4), norm: ["none", "msb set", "implied", "reserved"][(bits >> 4) & 3],
  };
}

// The attributes kept in the object header at `address` (HDF5 keeps them there when written for the
// earliest library version, as h5py does; those in "dense" storage are not found: nothing to say):
// [{name, type}], `type` the bytes of its datatype; [] when the header cannot be followed.
function attributeTypes(read, address, sizes) {
  const out = [];
  if (!sizes || !Number.isSafeInteger(address) || address < 0) return out;
  for (const { type, data } of headerMessages(read, address, sizes) ?? []) {
    if (type !== ATTRIBUTE || data.length < 8) continue;
    const version = data[0];
    if (version < 1 || version > 3 || (version > 1 && data[1] & 1)) continue; // (a shared datatype: not followed)
    const pad = (n) => (version === 1 ? Math.ceil(n / 8) * 8 : n);
    const nameSize = uint(data, 2, 2), typeSize = uint(data, 4, 2);
    const at = version === 3 ? 9 : 8;
    const nameBytes = data.subarray(at, at + nameSize);
    const end = nameBytes.indexOf(0);
    let name;
    try {
      name = new TextDecoder("utf-8", { fatal: true }).decode(nameBytes.subarray(0, end < 0 ? nameBytes.length : end));
    } catch {
      continue; // (a name that is not UTF-8: neither reader reads it)
    }
    const start = at + pad(nameSize);
    out.push({ name, type: data.subarray(start, start + typeSize) });
  }
  return out;
}

// {name: what(type)} of the attributes kept in the object header at `address` (attributeTypes) for which
// `what` says something (not null); {} when the header cannot be followed.
function ofEachAttribute(read, address, sizes, what) {
  const out = {};
  for (const { name, type } of attributeTypes(read, address, sizes)) {
    const said = what(type);
    if (said) out[name] = said;
  }
  return out;
}

// {name: layout} of those attributes that are fixed- or floating-point numbers.
export function attributeLayouts(read, address, sizes = superblockSizes(read)) {
  return ofEachAttribute(read, address, sizes, datatypeLayout);
}

// What HDF5 (2.0, as h5py and h5wasm build it) finds wrong with the number type of a datatype message,
// or with the base type of an enumeration (numpy's bools) or of a variable-length string (its 1-byte
// characters): a fixed-point, floating-point or bitfield type with more unused bits than used
// ("datatype has unusually large # of unused bits": refused when size * 8 > 2 * precision, found with
// h5py by creating such types and by reading a file with one patched in); null when nothing is wrong.
export function unusedBitsProblem(data) {
  // (an enumeration's or a string's base type follows its first 8 bytes; a loop, not recursion: a hostile
  // header may nest thousands)
  while (data.length >= 12 && [8, 9].includes(data[0] & 0x0f)) data = data.subarray(8);
  if (data.length < 12) return null;
  const cls = data[0] & 0x0f, size = uint(data, 4, 4);
  if (cls !== 0 && cls !== 1 && cls !== 4) return null;
  const precision = uint(data, 10, 2);
  if (!(size * 8 > 2 * precision)) return null;
  return `a ${size}-byte ${["integer", "float", "", "", "bitfield"][cls]} type of ${precision} bits of precision`;
}

// {name: problem} of the attributes kept in the object header at `address` whose type HDF5 calls damaged
// (unusedBitsProblem): h5py then opens none of that object's attributes.
export function attributeTypeProblems(read, address, sizes = superblockSizes(read)) {
  return ofEachAttribute(read, address, sizes, unusedBitsProblem);
}

// The layout of the numbers of the dataset whose object header is at `address`, or null.
export function datasetLayout(read, address, sizes = superblockSizes(read)) {
  if (!sizes || !Number.isSafeInteger(address) || address < 0) return null;
  const messages = headerMessages(read, address, sizes);
  const datatype = messages?.find((m) => m.type === DATATYPE);
  return datatype ? datatypeLayout(datatype.data) : null;
}

const LAYOUT = 0x0008;

// Where the values of the dataset whose object header is at `address` lie in the file, from its data
// layout message (versions 3 and 4): {address, size} of a contiguous dataset's bytes (address null:
// never written, HDF5 gives the fill value), or null for any other storage (compact, chunked, virtual,
// older layout versions) or a header that cannot be followed: then the bytes' place is not known.
export function datasetStorage(read, address, sizes = superblockSizes(read)) {
  if (!sizes || !Number.isSafeInteger(address) || address < 0) return null;
  const messages = headerMessages(read, address, sizes);
  const layouts = messages?.filter((m) => m.type === LAYOUT) ?? [];
  if (layouts.length !== 1) return null;
  const { data } = layouts[0];
  if (data.length < 2 + sizes.offsets + sizes.lengths || (data[0] !== 3 && data[0] !== 4) || data[1] !== 1) return null;
  const undefinedAddress = data.subarray(2, 2 + sizes.offsets).every((b) => b === 0xff);
  const at = uint(data, 2, sizes.offsets), size = uint(data, 2 + sizes.offsets, sizes.lengths);
  if (!Number.isSafeInteger(size) || (!undefinedAddress && !Number.isSafeInteger(at))) return null;
  return { address: undefinedAddress ? null : at, size };
}
