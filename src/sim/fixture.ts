/**
 * A describe-style fixture file read into an Environment, to seed the simulator (simulate, in
 * simulator.ts) or to plan against without an AWS account.
 */
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { decode, environmentFromFile, EnvironmentFile, type Environment } from '../plan/domain.js'

/** Reads and decodes a fixture file; every failure is one line naming the file. */
export const loadFixture = (path: string): E.Either<string, Environment> =>
  pipe(
    E.tryCatch(
      () => readFileSync(path, 'utf8'),
      (e) => `${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    ),
    E.chain((text) => E.tryCatch(() => JSON.parse(text) as unknown, (e) => `${path}: not JSON: ${(e as Error).message}`)),
    E.chain((json) => pipe(decode(EnvironmentFile)(json), E.mapLeft((m) => `${path}: ${m}`))),
    E.map((file) => environmentFromFile(file)),
  )
