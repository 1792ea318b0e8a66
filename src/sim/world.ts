/**
 * The simulator's side of the port: an in-memory RDS environment seeded from a describe-style
 * fixture. It answers the reading calls exactly as RDS would for that environment and records
 * every call, so tests can assert what was asked.
 */
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { decode, environmentFromFile, EnvironmentFile, type Environment } from '../plan/domain.js'
import type { RdsPort } from '../interpret/port.js'

export interface SimulatedCall {
  readonly action: string
  readonly input: unknown
}

export interface SimulatedRds extends RdsPort {
  readonly calls: () => ReadonlyArray<SimulatedCall>
}

export const simRdsPort = (env: Environment): SimulatedRds => {
  const calls: SimulatedCall[] = []
  const record = <A>(action: string, input: unknown, answer: () => A): TE.TaskEither<never, A> => () => {
    calls.push({ action, input })
    return Promise.resolve(E.right(answer()))
  }
  return {
    region: env.region,
    calls: () => [...calls],
    describeDBInstances: (ids) =>
      record('DescribeDBInstances', { ids }, () =>
        ids === undefined ? env.instances : env.instances.filter((i) => ids.includes(i.DBInstanceIdentifier)),
      ),
    listTagsForResource: (arn) =>
      record('ListTagsForResource', { arn }, () => {
        const i = env.instances.find((x) => x.DBInstanceArn === arn)
        return i === undefined ? [] : (env.tags[i.DBInstanceIdentifier] ?? [])
      }),
    describeDBSnapshots: (instanceId) =>
      record('DescribeDBSnapshots', { instanceId }, () => env.snapshots.filter((s) => s.DBInstanceIdentifier === instanceId)),
    send: (operation) => () => {
      calls.push({ action: operation.op, input: operation.request })
      return Promise.resolve(E.left({ _tag: 'ReadOnly' as const, action: operation.op }))
    },
  }
}

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
