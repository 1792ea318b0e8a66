/**
 * Test support shared by the suites that run the schema step (applyChangelog) for real against a private server
 * (schema.test.ts against PostgreSQL, schema-mysql.test.ts against MariaDB): the broken changelog both apply, and
 * liquibaseHarness — a shell that records every command, the target builder and the apply wrapper that collects the
 * streamed lines.
 */
import * as E from 'fp-ts/lib/Either.js'
import { processShell } from '../../src/interpret/shell.js'
import type { Shell } from '../../src/interpret/capabilities.js'
import { applyChangelog, type ChangelogTarget, type SchemaEngine } from '../../src/interpret/schema.js'
import type { ServerFixture } from './servers.js'

/** A changelog (YAML) whose one change set fails in the database: the type `nosuchtype` does not exist. */
export const BROKEN = `databaseChangeLog:
  - changeSet:
      id: broken
      author: mitosis-test
      changes:
        - sql:
            sql: CREATE TABLE broken ( id bigint PRIMARY KEY, oops nosuchtype )
`

/** What the harness needs of a private server (Postgres, MariaDb): where it listens and the application user. */
export interface LiquibaseServer {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly username: string
}

export interface Applied {
  readonly result: E.Either<string, void>
  /** Every line the run streamed, in order. */
  readonly lines: string[]
  /** How long the run took. */
  readonly ms: number
}

export interface LiquibaseHarness {
  /** Every line any run streamed, every command the shell was given, every message returned. */
  readonly seen: string[]
  /** The hooks' shell (processShell), recording each command in `seen`. */
  readonly recordingShell: Shell
  /** The changelog target on the fixture's server for `engine`, logging in with `password` (default: the harness's). */
  readonly target: (changelog: string, password?: string) => ChangelogTarget
  /** Runs applyChangelog through recordingShell (60 s timeout), adding its lines and its message (or 'ok') to `seen`. */
  readonly apply: (t: ChangelogTarget) => Promise<Applied>
}

/** The scaffolding of a Liquibase suite against `fx.server` (read when a target is built, i.e. inside a test). */
export function liquibaseHarness(engine: SchemaEngine, fx: ServerFixture<LiquibaseServer>, password: string): LiquibaseHarness {
  const seen: string[] = []
  const recordingShell: Shell = {
    run: (command, env, onLine, timeoutMs) => {
      seen.push(command)
      return processShell.run(command, env, onLine, timeoutMs)
    },
  }
  const target = (changelog: string, pw = password): ChangelogTarget => ({
    engine,
    host: fx.server.host,
    port: fx.server.port,
    database: fx.server.database,
    username: fx.server.username,
    password: pw,
    changelog,
  })
  const apply = async (t: ChangelogTarget): Promise<Applied> => {
    const lines: string[] = []
    const started = Date.now()
    const result = await applyChangelog(t, recordingShell, (_stream, line) => lines.push(line), { timeoutMs: 60_000 })
    seen.push(...lines, E.isLeft(result) ? result.left : 'ok')
    return { result, lines, ms: Date.now() - started }
  }
  return { seen, recordingShell, target, apply }
}
