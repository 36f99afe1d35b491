// A minimal, deterministic ZIP writer (deflate, no timestamps that change between runs), so the
// same assets always give the same bundle bytes and the same checksum: Pulumi's diff relies on it.
// Format: PKWARE APPNOTE.TXT 6.3 (local file header, central directory, end of central directory).
import { crc32, deflateRawSync } from "node:zlib";

export interface ZipEntry {
  /** Path inside the archive, forward slashes, no leading slash. */
  readonly path: string;
  readonly content: string | Buffer;
}

// 1980-01-01 00:00 in MS-DOS date/time: a fixed stamp keeps the bytes reproducible.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 1 << 11;
const DEFLATE = 8;

/** What the local header and the central directory entry both say about an entry. */
interface EntryFields {
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly nameLength: number;
}

/**
 * The run of fields the two headers share, "version needed to extract" through "extra field
 * length" (APPNOTE 4.3.7 and 4.3.12): at offset 4 of a local header, 6 of a central one.
 */
function writeEntryFields(header: Buffer, at: number, fields: EntryFields): void {
  header.writeUInt16LE(20, at); // version needed: 2.0 (deflate)
  header.writeUInt16LE(UTF8_NAMES, at + 2);
  header.writeUInt16LE(DEFLATE, at + 4);
  header.writeUInt16LE(DOS_TIME, at + 6);
  header.writeUInt16LE(DOS_DATE, at + 8);
  header.writeUInt32LE(fields.crc, at + 10);
  header.writeUInt32LE(fields.compressedSize, at + 14);
  header.writeUInt32LE(fields.size, at + 18);
  header.writeUInt16LE(fields.nameLength, at + 22);
  header.writeUInt16LE(0, at + 24); // extra length
}

function localHeader(fields: EntryFields): Buffer {
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  writeEntryFields(local, 4, fields);
  return local;
}

function centralHeader(fields: EntryFields, localOffset: number): Buffer {
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // made by: MS-DOS compatible, 2.0
  writeEntryFields(central, 6, fields);
  central.writeUInt16LE(0, 32); // comment length
  central.writeUInt16LE(0, 34); // disk number
  central.writeUInt16LE(0, 36); // internal attributes
  central.writeUInt32LE(0, 38); // external attributes
  central.writeUInt32LE(localOffset, 42);
  return central;
}

function endOfCentralDirectory(entries: number, centralDirectory: Buffer, centralOffset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries, 8);
  end.writeUInt16LE(entries, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  end.writeUInt16LE(0, 20);
  return end;
}

export function createZip(entries: readonly ZipEntry[]): Buffer {
  const seen = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (entry.path.startsWith("/") || entry.path.includes("\\") || entry.path.split("/").includes("..")) {
      throw new Error(`Zip entry path "${entry.path}" must be relative with forward slashes and no ".."`);
    }
    if (seen.has(entry.path)) throw new Error(`Zip entry "${entry.path}" appears twice`);
    seen.add(entry.path);
    const data = typeof entry.content === "string" ? Buffer.from(entry.content, "utf8") : entry.content;
    const compressed = deflateRawSync(data, { level: 9 });
    const name = Buffer.from(entry.path, "utf8");
    const fields: EntryFields = { crc: crc32(data), compressedSize: compressed.length, size: data.length, nameLength: name.length };
    const local = localHeader(fields);
    locals.push(local, name, compressed);
    centrals.push(centralHeader(fields, offset), name);
    offset += local.length + name.length + compressed.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  return Buffer.concat([...locals, centralDirectory, endOfCentralDirectory(entries.length, centralDirectory, offset)]);
}
