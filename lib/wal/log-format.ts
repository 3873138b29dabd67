// Log framing shared by the WAL (NNNNNN.log) and the MANIFEST (leveldb-format.md §3).
// ON DISK AND FROZEN: every value here is part of LevelDB's file format; never change one.
//
// A log file is a sequence of 32 KiB blocks (the last one may be short). Each block holds
// back-to-back physical records:
//
//   masked crc32c : fixed32 LE   over [type byte, payload]
//   length        : uint16 LE    payload bytes, at most BLOCK_SIZE - HEADER_SIZE
//   type          : uint8        RecordType below
//   payload       : length bytes
//
// A block tail shorter than a header is zero padding.

export const BLOCK_SIZE = 32768

export const HEADER_SIZE = 7

/** The largest payload one physical record can carry (a record alone in its block). */
export const MAX_FRAGMENT = BLOCK_SIZE - HEADER_SIZE

export const enum RecordType {
  /** Reserved: preallocated (zeroed) file space reads as type 0 with length 0. */
  Zero = 0,
  /** A whole logical record. */
  Full = 1,
  /** The first fragment of a logical record that spans blocks. */
  First = 2,
  Middle = 3,
  Last = 4
}
