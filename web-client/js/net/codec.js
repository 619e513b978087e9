/**
 * MessagePack encoder and decoder: the wire format of the control messages.
 *
 * Covers the whole msgpack type system the server uses: nil, booleans, integers up to
 * 64 bits (as Number when safe, as BigInt beyond 2^53), float32/float64, UTF-8 strings,
 * binary (Uint8Array), arrays and maps (decoded into plain objects when every key is a
 * string, into a Map otherwise). Ext types are decoded into {type, data} and never sent.
 *
 *   const bytes = encode({ type: "chat", text: "Hallo" });
 *   decode(bytes)  // -> { type: "chat", text: "Hallo" }
 */

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Thrown for bytes that are not valid msgpack or values that cannot be encoded. */
export class CodecError extends Error {}

class Writer {
  constructor() {
    this.buffer = new Uint8Array(256);
    this.view = new DataView(this.buffer.buffer);
    this.length = 0;
  }

  reserve(extra) {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value) {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  u16(value) {
    this.reserve(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
  }

  u32(value) {
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
  }

  bytes(data) {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  result() {
    return this.buffer.slice(0, this.length);
  }
}

function writeInteger(writer, value) {
  if (value >= 0) {
    if (value < 0x80) writer.u8(value);
    else if (value < 0x100) { writer.u8(0xcc); writer.u8(value); }
    else if (value < 0x10000) { writer.u8(0xcd); writer.u16(value); }
    else if (value < 0x100000000) { writer.u8(0xce); writer.u32(value); }
    else writeBigInt(writer, BigInt(value));
  } else {
    if (value >= -32) writer.u8(value & 0xff);
    else if (value >= -0x80) { writer.u8(0xd0); writer.u8(value & 0xff); }
    else if (value >= -0x8000) { writer.u8(0xd1); writer.u16(value & 0xffff); }
    else if (value >= -0x80000000) { writer.u8(0xd2); writer.u32(value >>> 0); }
    else writeBigInt(writer, BigInt(value));
  }
}

function writeBigInt(writer, value) {
  writer.reserve(9);
  if (value >= 0n) {
    if (value > 0xffffffffffffffffn) throw new CodecError("integer too large for msgpack");
    writer.u8(0xcf);
    writer.view.setBigUint64(writer.length, value);
  } else {
    if (value < -0x8000000000000000n) throw new CodecError("integer too small for msgpack");
    writer.u8(0xd3);
    writer.view.setBigInt64(writer.length, value);
  }
  writer.length += 8;
}

function writeString(writer, value) {
  const data = textEncoder.encode(value);
  const n = data.length;
  if (n < 32) writer.u8(0xa0 | n);
  else if (n < 0x100) { writer.u8(0xd9); writer.u8(n); }
  else if (n < 0x10000) { writer.u8(0xda); writer.u16(n); }
  else { writer.u8(0xdb); writer.u32(n); }
  writer.bytes(data);
}

function writeBinary(writer, data) {
  const n = data.length;
  if (n < 0x100) { writer.u8(0xc4); writer.u8(n); }
  else if (n < 0x10000) { writer.u8(0xc5); writer.u16(n); }
  else { writer.u8(0xc6); writer.u32(n); }
  writer.bytes(data);
}

function writeArrayHeader(writer, n) {
  if (n < 16) writer.u8(0x90 | n);
  else if (n < 0x10000) { writer.u8(0xdc); writer.u16(n); }
  else { writer.u8(0xdd); writer.u32(n); }
}

function writeMapHeader(writer, n) {
  if (n < 16) writer.u8(0x80 | n);
  else if (n < 0x10000) { writer.u8(0xde); writer.u16(n); }
  else { writer.u8(0xdf); writer.u32(n); }
}

function writeValue(writer, value, depth) {
  if (depth > 64) throw new CodecError("value nested too deeply");
  if (value === null || value === undefined) writer.u8(0xc0);
  else if (value === false) writer.u8(0xc2);
  else if (value === true) writer.u8(0xc3);
  else if (typeof value === "number") {
    if (Number.isSafeInteger(value)) writeInteger(writer, value);
    else {
      writer.reserve(9);
      writer.u8(0xcb);
      writer.view.setFloat64(writer.length, value);
      writer.length += 8;
    }
  } else if (typeof value === "bigint") writeBigInt(writer, value);
  else if (typeof value === "string") writeString(writer, value);
  else if (value instanceof Uint8Array) writeBinary(writer, value);
  else if (value instanceof ArrayBuffer) writeBinary(writer, new Uint8Array(value));
  else if (Array.isArray(value)) {
    writeArrayHeader(writer, value.length);
    for (const item of value) writeValue(writer, item, depth + 1);
  } else if (value instanceof Map) {
    writeMapHeader(writer, value.size);
    for (const [key, item] of value) {
      writeValue(writer, key, depth + 1);
      writeValue(writer, item, depth + 1);
    }
  } else if (typeof value === "object") {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined);
    writeMapHeader(writer, keys.length);
    for (const key of keys) {
      writeString(writer, key);
      writeValue(writer, value[key], depth + 1);
    }
  } else throw new CodecError(`cannot encode a ${typeof value}`);
}

/** Encode one value as msgpack bytes. */
export function encode(value) {
  const writer = new Writer();
  writeValue(writer, value, 0);
  return writer.result();
}

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = 0;
  }

  need(n) {
    if (this.offset + n > this.bytes.length) throw new CodecError("msgpack data ends early");
  }

  u8() { this.need(1); return this.bytes[this.offset++]; }
  u16() { this.need(2); const v = this.view.getUint16(this.offset); this.offset += 2; return v; }
  u32() { this.need(4); const v = this.view.getUint32(this.offset); this.offset += 4; return v; }
  i8() { this.need(1); const v = this.view.getInt8(this.offset); this.offset += 1; return v; }
  i16() { this.need(2); const v = this.view.getInt16(this.offset); this.offset += 2; return v; }
  i32() { this.need(4); const v = this.view.getInt32(this.offset); this.offset += 4; return v; }
  f32() { this.need(4); const v = this.view.getFloat32(this.offset); this.offset += 4; return v; }
  f64() { this.need(8); const v = this.view.getFloat64(this.offset); this.offset += 8; return v; }

  u64() {
    this.need(8);
    const v = this.view.getBigUint64(this.offset);
    this.offset += 8;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  i64() {
    this.need(8);
    const v = this.view.getBigInt64(this.offset);
    this.offset += 8;
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    return v <= safe && v >= -safe ? Number(v) : v;
  }

  slice(n) {
    this.need(n);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  string(n) {
    this.need(n);
    try {
      return textDecoder.decode(this.bytes.subarray(this.offset, (this.offset += n)));
    } catch {
      throw new CodecError("msgpack string is not valid UTF-8");
    }
  }
}

function readArray(reader, n, depth) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(reader, depth + 1);
  return out;
}

function readMap(reader, n, depth) {
  /** @type {[any, any][]} */
  const entries = [];
  let allStrings = true;
  for (let i = 0; i < n; i++) {
    const key = readValue(reader, depth + 1);
    const value = readValue(reader, depth + 1);
    if (typeof key !== "string") allStrings = false;
    entries.push([key, value]);
  }
  if (!allStrings) return new Map(entries);
  const object = Object.create(null);
  for (const [key, value] of entries) object[key] = value;
  return object;
}

function readExt(reader, n) {
  const type = reader.i8();
  return { type, data: reader.slice(n) };
}

function readValue(reader, depth) {
  if (depth > 64) throw new CodecError("msgpack data nested too deeply");
  const b = reader.u8();
  if (b < 0x80) return b;
  if (b < 0x90) return readMap(reader, b & 0x0f, depth);
  if (b < 0xa0) return readArray(reader, b & 0x0f, depth);
  if (b < 0xc0) return reader.string(b & 0x1f);
  if (b >= 0xe0) return b - 0x100;
  switch (b) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return reader.slice(reader.u8());
    case 0xc5: return reader.slice(reader.u16());
    case 0xc6: return reader.slice(reader.u32());
    case 0xc7: return readExt(reader, reader.u8());
    case 0xc8: return readExt(reader, reader.u16());
    case 0xc9: return readExt(reader, reader.u32());
    case 0xca: return reader.f32();
    case 0xcb: return reader.f64();
    case 0xcc: return reader.u8();
    case 0xcd: return reader.u16();
    case 0xce: return reader.u32();
    case 0xcf: return reader.u64();
    case 0xd0: return reader.i8();
    case 0xd1: return reader.i16();
    case 0xd2: return reader.i32();
    case 0xd3: return reader.i64();
    case 0xd4: return readExt(reader, 1);
    case 0xd5: return readExt(reader, 2);
    case 0xd6: return readExt(reader, 4);
    case 0xd7: return readExt(reader, 8);
    case 0xd8: return readExt(reader, 16);
    case 0xd9: return reader.string(reader.u8());
    case 0xda: return reader.string(reader.u16());
    case 0xdb: return reader.string(reader.u32());
    case 0xdc: return readArray(reader, reader.u16(), depth);
    case 0xdd: return readArray(reader, reader.u32(), depth);
    case 0xde: return readMap(reader, reader.u16(), depth);
    case 0xdf: return readMap(reader, reader.u32(), depth);
    default: throw new CodecError(`byte 0x${b.toString(16)} is not a msgpack type`);
  }
}

/** Decode exactly one msgpack value from bytes (Uint8Array or ArrayBuffer). */
export function decode(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const reader = new Reader(bytes);
  const value = readValue(reader, 0);
  if (reader.offset !== bytes.length) throw new CodecError("extra bytes after the msgpack value");
  return value;
}
