/**
 * The simulator's side of the port: an in-memory RDS environment seeded from a describe-style
 * fixture. `simRdsPort` is the simulator of src/sim/simulator.ts with AWS's defaults: it answers
 * the reading calls exactly as RDS would for that environment, applies the mutating ones with
 * RDS's rules on a virtual clock, and records every call, so tests can assert what was asked.
 */
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { decode, environmentFromFile, EnvironmentFile, type Environment } from '../plan/domain.js'
import { simulate, type SimCall, type Simulator } from './simulator.js'

export type SimulatedCall = SimCall
export type SimulatedRds = Simulator

export const simRdsPort = (env: Environment): SimulatedRds => simulate(env)

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
