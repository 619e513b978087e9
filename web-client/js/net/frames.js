/**
 * The two binary frames of the protocol: the pose the client sends and the snapshot the
 * server sends. Offsets and types come from the protocol table's layouts; the scales of
 * the quantised snapshot fields are the ones the table documents (positions on the grid
 * of the welcome message, yaw in 1/32768 of pi, pitch in 1/127 of pi/2).
 */

const READERS = {
  u8: (view, offset) => view.getUint8(offset),
  i8: (view, offset) => view.getInt8(offset),
  u16: (view, offset) => view.getUint16(offset, true),
  i16: (view, offset) => view.getInt16(offset, true),
  u32: (view, offset) => view.getUint32(offset, true),
  f32: (view, offset) => view.getFloat32(offset, true),
  f64: (view, offset) => view.getFloat64(offset, true),
};

const WRITERS = {
  u8: (view, offset, value) => view.setUint8(offset, value),
  u16: (view, offset, value) => view.setUint16(offset, value, true),
  f32: (view, offset, value) => view.setFloat32(offset, value, true),
};

const YAW_SCALE = Math.PI / 32768;
const PITCH_SCALE = Math.PI / 2 / 127;

function offsets(layout) {
  const out = {};
  for (const field of layout) out[field.name] = field;
  return out;
}

export class FrameCodec {
  /** binary: the table's "binary" section. */
  constructor(binary) {
    if (binary.byte_order !== "little-endian") throw new Error("unsupported byte order");
    this.pose = binary.pose;
    this.poseFields = offsets(binary.pose.layout);
    this.snapshot = binary.snapshot;
    this.headerFields = offsets(binary.snapshot.header);
    this.entryFields = offsets(binary.snapshot.entry);
    this.grid = { origin: [0, 0, 0], step: 0.01 };
  }

  /** Set the position grid of snapshots (from welcome.grid). */
  setGrid(grid) {
    this.grid = { origin: grid.origin, step: grid.step };
  }

  /** Whether bytes is a snapshot frame (its first byte is the snapshot tag). */
  isSnapshot(bytes) {
    return bytes.length > 0 && bytes[0] === this.snapshot.tag;
  }

  /** A pose frame: seq (wraps at 65536), position, yaw, pitch. */
  encodePose(seq, x, y, z, yaw, pitch) {
    const buffer = new ArrayBuffer(this.pose.size);
    const view = new DataView(buffer);
    const values = { tag: this.pose.tag, seq: seq & 0xffff, x, y, z, yaw, pitch };
    for (const field of this.pose.layout) {
      WRITERS[field.type](view, field.offset, values[field.name]);
    }
    return new Uint8Array(buffer);
  }

  /**
   * A snapshot: {flags, full, far, serial, tick, time (s), entries: [{net, x, y, z, yaw,
   * pitch, snap, away}]} with positions in metres and angles in radians.
   */
  decodeSnapshot(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerSize = this.snapshot.header_size;
    const entrySize = this.snapshot.entry_size;
    if (bytes.length < headerSize || (bytes.length - headerSize) % entrySize !== 0) {
      throw new Error(`a snapshot of ${bytes.length} bytes does not fit the layout`);
    }
    const header = {};
    for (const field of this.snapshot.header) header[field.name] = READERS[field.type](view, field.offset);
    const flags = this.snapshot.flags;
    const entryFlags = this.snapshot.entry_flags;
    const { origin, step } = this.grid;
    const f = this.entryFields;
    const entries = [];
    for (let offset = headerSize; offset < bytes.length; offset += entrySize) {
      const bits = READERS[f.flags.type](view, offset + f.flags.offset);
      entries.push({
        net: READERS[f.net.type](view, offset + f.net.offset),
        x: origin[0] + READERS[f.x.type](view, offset + f.x.offset) * step,
        y: origin[1] + READERS[f.y.type](view, offset + f.y.offset) * step,
        z: origin[2] + READERS[f.z.type](view, offset + f.z.offset) * step,
        yaw: READERS[f.yaw.type](view, offset + f.yaw.offset) * YAW_SCALE,
        pitch: READERS[f.pitch.type](view, offset + f.pitch.offset) * PITCH_SCALE,
        snap: Boolean(bits & entryFlags.snap),
        away: Boolean(bits & entryFlags.away),
      });
    }
    return {
      flags: header.flags,
      full: Boolean(header.flags & flags.full),
      far: Boolean(header.flags & flags.far),
      serial: header.serial,
      tick: header.tick,
      time: header.time,
      entries,
    };
  }
}
