/**
 * A small, strict reader for the part of EDN that stack-mitosis's role file uses: one map whose keys
 * are keywords and whose values are strings, numbers or keywords, e.g.
 *
 *     ; the admin role
 *     {:mfa-serial "arn:aws:iam::123456789012:mfa/me"
 *      :role-arn "arn:aws:iam::123456789012:role/admin", :region "us-east-1"}
 *
 * Commas are whitespace and `;` starts a comment to the end of the line, as in EDN. Anything else EDN
 * has (nested collections, symbols, tags, nil, booleans) is refused, as are duplicate keys, with one line
 * saying what is wrong and where (line and column). Pure.
 */
import * as E from 'fp-ts/lib/Either.js'

/** A value of the subset: a string, a number, or a keyword (`{ keyword: 'name' }`, without the colon). */
export type EdnValue = string | number | { readonly keyword: string }

/** The map read: keys without their leading colon, in file order. */
export type EdnMap = ReadonlyMap<string, EdnValue>

const SYMBOL_CHAR = /[A-Za-z0-9*+!_?<>=.\/#:'-]/
const DELIMITER = /[\s,;{}\[\]()"]/
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' }

/** Reads `text` as one EDN map of the subset above; the failure is one line (without the file's name). */
export const readEdnMap = (text: string): E.Either<string, EdnMap> => {
  let at = 0
  const where = (pos: number): string => {
    const before = text.slice(0, pos)
    const line = before.split('\n').length
    return `line ${line}, column ${pos - before.lastIndexOf('\n')}`
  }
  const fail = (what: string, pos = at): E.Either<string, never> => E.left(`${what} at ${where(pos)}`)
  const skip = () => {
    while (at < text.length) {
      const c = text[at]!
      if (c === ';') {
        while (at < text.length && text[at] !== '\n') at++
      } else if (/[\s,]/.test(c)) at++
      else break
    }
  }
  const shown = (pos: number): string => {
    const c = text[pos]
    return c === undefined ? 'the end of the file' : JSON.stringify(c)
  }
  /** A keyword's name after its colon; undefined when there is none. */
  const keyword = (): string | undefined => {
    const start = at + 1
    let end = start
    while (end < text.length && !DELIMITER.test(text[end]!)) end++
    const name = text.slice(start, end)
    if (name === '' || /^[0-9]/.test(name) || ![...name].every((c) => SYMBOL_CHAR.test(c)) || name.endsWith('/') || name.startsWith('/')) return undefined
    at = end
    return name
  }
  const string = (): E.Either<string, string> => {
    const start = at
    let out = ''
    at++
    while (at < text.length) {
      const c = text[at]!
      if (c === '"') {
        at++
        return E.right(out)
      }
      if (c === '\\') {
        const next = text[at + 1]
        if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) {
          out += String.fromCharCode(parseInt(text.slice(at + 2, at + 6), 16))
          at += 6
          continue
        }
        const escaped = next === undefined ? undefined : ESCAPES[next]
        if (escaped === undefined) return fail(`unknown escape \\${next ?? ''} in a string`)
        out += escaped
        at += 2
        continue
      }
      out += c
      at++
    }
    return fail('a string that is never closed', start)
  }
  const value = (): E.Either<string, EdnValue> => {
    const c = text[at]
    if (c === '"') return string()
    if (c === ':') {
      const start = at
      const name = keyword()
      return name === undefined ? fail('not a keyword', start) : E.right({ keyword: name })
    }
    const start = at
    while (at < text.length && !DELIMITER.test(text[at]!)) at++
    const token = text.slice(start, at)
    if (/^[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(token)) return E.right(Number(token))
    if (token === '') return fail(`expected a string, a number or a keyword, got ${shown(start)}`, start)
    return fail(`expected a string, a number or a keyword, got ${JSON.stringify(token.slice(0, 40))}`, start)
  }

  skip()
  if (text[at] !== '{') return fail(`expected a map ({:key "value" …}), got ${shown(at)}`)
  at++
  const map = new Map<string, EdnValue>()
  for (;;) {
    skip()
    if (at >= text.length) return fail('a map that is never closed (no "}")')
    if (text[at] === '}') {
      at++
      break
    }
    const keyAt = at
    if (text[at] !== ':') return fail(`expected a keyword key like :role-arn, got ${shown(at)}`)
    const key = keyword()
    if (key === undefined) return fail('not a keyword', keyAt)
    if (map.has(key)) return fail(`duplicate key :${key}`, keyAt)
    skip()
    if (at >= text.length || text[at] === '}') return fail(`no value for :${key}`)
    const v = value()
    if (E.isLeft(v)) return v
    map.set(key, v.right)
  }
  skip()
  if (at < text.length) return fail(`unexpected ${shown(at)} after the map`)
  return E.right(map)
}
