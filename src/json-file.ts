/**
 * Reading a file the user names (a saved plan, a role file): its text, then its JSON. A failure stays data,
 * the error as Node gave it, so that each reader words it for its own file. A leaf (node:fs only): every
 * layer that reads files (aws, interpret, cli) may import it without importing upwards.
 */
import * as fs from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'

/** The file could not be read (no such file, permission denied, a directory …). */
export interface Unreadable {
  readonly _tag: 'Unreadable'
  readonly error: NodeJS.ErrnoException
}

/** The text is not JSON; `error.message` is JSON.parse's. */
export interface NotJson {
  readonly _tag: 'NotJson'
  readonly error: Error
}

export const readTextFile = (path: string): E.Either<Unreadable, string> =>
  E.tryCatch(
    () => fs.readFileSync(path, 'utf8'),
    (error): Unreadable => ({ _tag: 'Unreadable', error: error as NodeJS.ErrnoException }),
  )

export const parseJson = (text: string): E.Either<NotJson, unknown> =>
  E.tryCatch(
    (): unknown => JSON.parse(text),
    (error): NotJson => ({ _tag: 'NotJson', error: error as Error }),
  )

/** The parsed JSON of the file at `path`; the caller decodes it. */
export const readJsonFile = (path: string): E.Either<Unreadable | NotJson, unknown> => pipe(readTextFile(path), E.chainW(parseJson))
