// A tiny synthetic PE file with only a version resource: enough for ExSetup.exe's file version.
export function syntheticPe(version: string, opts: { pe32?: boolean; resource?: boolean } = {}): Buffer {
  const [a, b, c, d] = version.split(".").map(Number);
  const pe32 = opts.pe32 ?? false;
  const optSize = pe32 ? 224 : 240;
  const buf = Buffer.alloc(0x400);
  buf.write("MZ", 0, "latin1");
  buf.writeUInt32LE(0x40, 0x3c);
  buf.write("PE\0\0", 0x40, "latin1");
  buf.writeUInt16LE(pe32 ? 0x14c : 0x8664, 0x44);
  buf.writeUInt16LE(1, 0x46); // sections
  buf.writeUInt16LE(optSize, 0x54);
  const opt = 0x58;
  buf.writeUInt16LE(pe32 ? 0x10b : 0x20b, opt);
  const dirs = opt + (pe32 ? 96 : 112);
  buf.writeUInt32LE(16, dirs - 4); // NumberOfRvaAndSizes
  if (opts.resource !== false) {
    buf.writeUInt32LE(0x1000, dirs + 16);
    buf.writeUInt32LE(0x100, dirs + 20);
  }
  const sec = opt + optSize;
  buf.write(".rsrc", sec, "latin1");
  buf.writeUInt32LE(0x100, sec + 8);
  buf.writeUInt32LE(0x1000, sec + 12);
  buf.writeUInt32LE(0x200, sec + 16);
  buf.writeUInt32LE(0x200, sec + 20);
  const r = 0x200;
  const dir = (at: number, id: number, target: number) => {
    buf.writeUInt16LE(1, r + at + 14);
    buf.writeUInt32LE(id, r + at + 16);
    buf.writeUInt32LE(target >>> 0, r + at + 20);
  };
  dir(0x00, 16, 0x80000000 | 0x18);
  dir(0x18, 1, 0x80000000 | 0x30);
  dir(0x30, 0x409, 0x48);
  buf.writeUInt32LE(0x1000 + 0x58, r + 0x48);
  buf.writeUInt32LE(92, r + 0x4c);
  const v = r + 0x58;
  buf.writeUInt16LE(92, v);
  buf.writeUInt16LE(52, v + 2);
  buf.write("VS_VERSION_INFO", v + 6, "utf16le");
  buf.writeUInt32LE(0xfeef04bd, v + 40);
  buf.writeUInt32LE(0x10000, v + 44);
  buf.writeUInt32LE(((a << 16) | b) >>> 0, v + 48);
  buf.writeUInt32LE(((c << 16) | d) >>> 0, v + 52);
  return buf;
}
