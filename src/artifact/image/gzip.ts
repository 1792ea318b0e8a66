/**
 * Layer compression: gzip at a fixed level with a zeroed header mtime. The image's identity is its config
 * digest (the image ID) and the diff_ids (sha256 of the uncompressed tars), which do not depend on zlib's
 * version; the compressed bytes (and so the manifest digest) may change when Node's zlib does.
 */
import { gunzipSync, gzipSync } from 'node:zlib'

export const GZIP_LEVEL = 9

export const gzipLayer = (tar: Uint8Array): Buffer => {
  const out = gzipSync(tar, { level: GZIP_LEVEL })
  out.writeUInt32LE(0, 4) // MTIME
  out[9] = 3 // OS: Unix, whatever the host
  return out
}

export const gunzip = (bytes: Uint8Array): Buffer => gunzipSync(bytes)

export const isGzip = (bytes: Uint8Array): boolean => bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
