/**
 * A deterministic tar (ustar) writer and a small reader. Our own, because every library tar we looked at
 * leaks something into its bytes (mtimes, owner names, PAX headers with a pid or a time): here the bytes
 * depend only on the entries and the given epoch. Entries are sorted by path and every parent directory is
 * emitted once; owners are 0 with empty names; modes are 0644 for files, 0755 for directories and
 * executables. Paths over 100 bytes use the ustar prefix field, and a PAX header (path only, no pid, no
 * time) only when even that is not enough.
 */

export type TarEntry =
  | { readonly type: 'file'; readonly path: string; readonly data: Uint8Array; readonly executable?: boolean }
  | { readonly type: 'dir'; readonly path: string }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }

const BLOCK = 512

/** The path without leading "./" or "/", and without a trailing "/". */
export const normalizePath = (path: string): string => path.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '')

const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, '0') + '\0'

const header = (name: string, prefix: string, typeflag: string, size: number, mode: number, mtime: number, linkname = ''): Buffer => {
  const h = Buffer.alloc(BLOCK)
  h.write(name, 0, 100, 'utf8')
  h.write(octal(mode, 8), 100, 'ascii')
  h.write(octal(0, 8), 108, 'ascii')
  h.write(octal(0, 8), 116, 'ascii')
  h.write(octal(size, 12), 124, 'ascii')
  h.write(octal(mtime, 12), 136, 'ascii')
  h.write('        ', 148, 'ascii')
  h.write(typeflag, 156, 'ascii')
  h.write(linkname, 157, 100, 'utf8')
  h.write('ustar\0', 257, 'ascii')
  h.write('00', 263, 'ascii')
  // uname, gname empty; devmajor/devminor zero
  h.write(octal(0, 8), 329, 'ascii')
  h.write(octal(0, 8), 337, 'ascii')
  h.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (const b of h) sum += b
  h.write(octal(sum, 7) + ' ', 148, 'ascii')
  return h
}

const padded = (data: Uint8Array): Buffer[] => {
  const rest = data.length % BLOCK
  return rest === 0 ? [Buffer.from(data)] : [Buffer.from(data), Buffer.alloc(BLOCK - rest)]
}

/** Splits a path into ustar (prefix, name), or undefined when it does not fit. */
const ustarSplit = (path: string): { prefix: string; name: string } | undefined => {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path }
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i)
    const name = path.slice(i + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { prefix, name }
  }
  return undefined
}

const paxRecord = (key: string, value: string): string => {
  const body = ` ${key}=${value}\n`
  let len = Buffer.byteLength(body)
  // the length counts its own digits
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body)
  return `${len}${body}`
}

/** One entry's blocks. A long path or link target gets a PAX header carrying only that. */
const entryBlocks = (entry: TarEntry, path: string, mtime: number): Buffer[] => {
  const tarPath = entry.type === 'dir' ? `${path}/` : path
  const split = ustarSplit(tarPath)
  const linkname = entry.type === 'symlink' ? entry.target : ''
  const pax: string[] = []
  if (split === undefined) pax.push(paxRecord('path', tarPath))
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname))
  const blocks: Buffer[] = []
  if (pax.length > 0) {
    const data = Buffer.from(pax.join(''), 'utf8')
    // a fixed name: no pid, no time (the cautionary tale is .NET's PaxHeaders.<pid>)
    blocks.push(header('PaxHeader', '', 'x', data.length, 0o644, mtime), ...padded(data))
  }
  const { prefix, name } = split ?? { prefix: '', name: tarPath.slice(-100).replace(/^[^/]*\//, '') }
  const link = Buffer.byteLength(linkname) > 100 ? '' : linkname
  switch (entry.type) {
    case 'dir':
      blocks.push(header(name, prefix, '5', 0, 0o755, mtime))
      break
    case 'symlink':
      blocks.push(header(name, prefix, '2', 0, 0o777, mtime, link))
      break
    case 'file':
      blocks.push(header(name, prefix, '0', entry.data.length, entry.executable === true ? 0o755 : 0o644, mtime), ...padded(entry.data))
      break
  }
  return blocks
}

const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The tar of these entries: sorted by path, each parent directory once (made when not given), uid/gid 0,
 * mtime = `epoch` (seconds). A path given twice is an error (which one would win is not determinism).
 */
export const writeTar = (entries: ReadonlyArray<TarEntry>, epoch: number): Buffer => {
  const all = new Map<string, TarEntry>()
  for (const entry of entries) {
    const path = normalizePath(entry.path)
    if (path === '' || path.split('/').some((part) => part === '..' || part === '.')) throw new Error(`tar: bad path ${JSON.stringify(entry.path)}`)
    const known = all.get(path)
    if (known !== undefined && !(known.type === 'dir' && entry.type === 'dir')) throw new Error(`tar: ${path} given twice`)
    all.set(path, { ...entry, path })
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      const at = all.get(dir)
      if (at === undefined) all.set(dir, { type: 'dir', path: dir })
      else if (at.type !== 'dir') throw new Error(`tar: ${dir} is both a file and a directory`)
    }
  }
  const blocks: Buffer[] = []
  for (const path of [...all.keys()].sort(byPath)) blocks.push(...entryBlocks(all.get(path)!, path, epoch))
  blocks.push(Buffer.alloc(BLOCK * 2))
  return Buffer.concat(blocks)
}

/** An entry as read back, with its header fields (for tests and for reading base layers). */
export type ReadEntry = TarEntry & { readonly mode: number; readonly uid: number; readonly gid: number; readonly uname: string; readonly gname: string; readonly mtime: number; readonly whiteout?: boolean }

const cstr = (b: Buffer, start: number, len: number): string => {
  const s = b.subarray(start, start + len)
  const end = s.indexOf(0)
  return s.subarray(0, end < 0 ? len : end).toString('utf8')
}
const num = (b: Buffer, start: number, len: number): number => {
  if ((b[start]! & 0x80) !== 0) return Number(b.subarray(start + 1, start + len).readUIntBE(len - 7, 6)) // base-256 (rare)
  const s = cstr(b, start, len).trim()
  return s === '' ? 0 : parseInt(s, 8)
}

const parsePax = (data: Buffer): Record<string, string> => {
  const out: Record<string, string> = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space < 0) break
    const len = parseInt(data.subarray(at, space).toString('ascii'), 10)
    if (!(len > 0)) break
    const record = data.subarray(space + 1, at + len - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1)
    at += len
  }
  return out
}

/** Reads a tar (ustar, PAX, GNU long names). Hard links are read as files with no data; other types are skipped. */
export const readTar = (tar: Uint8Array): ReadEntry[] => {
  const b = Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength)
  const out: ReadEntry[] = []
  let at = 0
  let pax: Record<string, string> = {}
  let longName: string | undefined
  let longLink: string | undefined
  while (at + BLOCK <= b.length) {
    const h = b.subarray(at, at + BLOCK)
    if (h.every((x) => x === 0)) break
    const size = num(h, 124, 12)
    const type = String.fromCharCode(h[156]!)
    const data = b.subarray(at + BLOCK, at + BLOCK + size)
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK
    if (type === 'x') { pax = { ...pax, ...parsePax(data) }; continue }
    if (type === 'g') continue
    if (type === 'L') { longName = cstr(data, 0, data.length); continue }
    if (type === 'K') { longLink = cstr(data, 0, data.length); continue }
    const magic = cstr(h, 257, 6)
    const prefix = magic.startsWith('ustar') ? cstr(h, 345, 155) : ''
    const rawPath = pax['path'] ?? longName ?? (prefix === '' ? cstr(h, 0, 100) : `${prefix}/${cstr(h, 0, 100)}`)
    const linkname = pax['linkpath'] ?? longLink ?? cstr(h, 157, 100)
    pax = {}
    longName = undefined
    longLink = undefined
    const path = normalizePath(rawPath)
    const meta = { mode: num(h, 100, 8), uid: num(h, 108, 8), gid: num(h, 116, 8), uname: cstr(h, 265, 32), gname: cstr(h, 297, 32), mtime: num(h, 136, 12) }
    if (path === '') continue
    if (type === '5') out.push({ type: 'dir', path, ...meta })
    else if (type === '2') out.push({ type: 'symlink', path, target: linkname, ...meta })
    else if (type === '0' || type === '\0' || type === '7') out.push({ type: 'file', path, data: Buffer.from(data), executable: (meta.mode & 0o111) !== 0, ...meta })
    else if (type === '1') out.push({ type: 'file', path, data: Buffer.alloc(0), ...meta, hardlink: linkname } as ReadEntry)
  }
  return out
}
