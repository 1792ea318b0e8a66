/**
 * The schema step for real: the Liquibase of the npm package `liquibase` (Java) applies a changelog to a private
 * PostgreSQL 15 server (test/support/postgres.ts) through the hooks' shell.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { applyChangelog, jdbcUrl, liquibaseError, scrub } from '../../src/interpret/schema.js'
import { postgresUnavailable, startPostgres } from '../support/postgres.js'
import { BROKEN, liquibaseHarness } from '../support/liquibase.js'
import { liquibaseUnavailable, serverFixture, serverTestsAvailable } from '../support/servers.js'

// ---------------------------------------------------------------------------------------------------------------
// Pure parts

test('jdbcUrl: postgres and mysql (through the MariaDB driver Liquibase ships)', () => {
  assert.is(jdbcUrl('postgres', 'db.cluster-x.eu-west-1.rds.amazonaws.com', 5432, 'app'), 'jdbc:postgresql://db.cluster-x.eu-west-1.rds.amazonaws.com:5432/app')
  assert.is(jdbcUrl('mysql', '127.0.0.1', 3306, 'app'), 'jdbc:mysql://127.0.0.1:3306/app?permitMysqlScheme')
  assert.is(jdbcUrl('postgres', '::1', 5432, 'app'), 'jdbc:postgresql://[::1]:5432/app')
})

test('liquibaseError: the summary with its Reason, else the primary reason, else the last ERROR line', () => {
  const migration = [
    'Running Changeset: broken.yaml::1::test',
    'ERROR: Exception Details',
    'ERROR: Exception Primary Class:  PSQLException',
    'ERROR: Exception Primary Reason:  ERROR: type "nosuchtype" does not exist',
    '  Position: 51',
    '',
    'Unexpected error running Liquibase: Migration failed for changeset broken.yaml::1::test:',
    '     Reason: liquibase.exception.DatabaseException: ERROR: type "nosuchtype" does not exist',
    '  Position: 51 [Failed SQL: (0) CREATE TABLE broken ( oops nosuchtype )]',
    '',
    'For more information, please use the --log-level flag',
  ]
  assert.is(
    liquibaseError(migration),
    'Migration failed for changeset broken.yaml::1::test: Reason: liquibase.exception.DatabaseException: ERROR: type "nosuchtype" does not exist',
  )
  assert.is(liquibaseError(['ERROR: Exception Primary Reason:  Connection refused', 'x']), 'Connection refused')
  assert.is(liquibaseError(['a', 'ERROR: something', 'b']), 'ERROR: something')
  assert.is(liquibaseError(['', 'last words', '']), 'last words')
  assert.is(scrub('url?password=p%40ss and p@ss', 'p@ss'), 'url?password=*** and ***')
})

// ---------------------------------------------------------------------------------------------------------------
// Against a real server

const PASSWORD = `Pw'"$(id)%&-${process.pid}`

const TWO_TABLES = `databaseChangeLog:
  - changeSet:
      id: customers
      author: mitosis-test
      changes:
        - createTable:
            tableName: customers
            columns:
              - column: { name: id, type: bigint, constraints: { primaryKey: true } }
              - column: { name: name, type: varchar(100) }
  - changeSet:
      id: orders
      author: mitosis-test
      changes:
        - createTable:
            tableName: orders
            columns:
              - column: { name: id, type: bigint, constraints: { primaryKey: true } }
              - column: { name: customer_id, type: bigint, constraints: { references: customers(id), foreignKeyName: fk_orders_customer } }
`

const available = serverTestsAvailable(test, liquibaseUnavailable(postgresUnavailable()), {
  needs: 'PostgreSQL and Java',
  skipping: 'the Liquibase tests against PostgreSQL',
  skipped: 'schema step against PostgreSQL',
})

if (available) {
  /** The temp dir with the changelogs (fx.dir) and the server (fx.server), set before the first test. */
  const fx = serverFixture(test, {
    prefix: 'mitosis-schema-',
    files: { 'changelog.yaml': TWO_TABLES, 'broken.yaml': BROKEN },
    start: () => startPostgres({ password: PASSWORD }),
  })
  /** seen: every line any run streamed, every command the shell was given, every message returned. */
  const { seen, recordingShell, target, apply } = liquibaseHarness('postgres', fx, PASSWORD)
  const tables = async (): Promise<string[]> =>
    (await fx.server.psql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).trim().split('\n')

  test('liquibase update creates both tables, streaming its output', async () => {
    const { result, lines } = await apply(target(join(fx.dir, 'changelog.yaml')))
    assert.ok(E.isRight(result), E.isLeft(result) ? result.left : '')
    assert.equal(await tables(), ['customers', 'databasechangelog', 'databasechangeloglock', 'orders'])
    assert.ok(lines.some((l) => l.includes('Running Changeset: changelog.yaml::orders::mitosis-test')), lines.join('\n'))
    assert.is((await fx.server.psql(`SELECT count(*) FROM databasechangelog`)).trim(), '2')
    // the tables belong to the application user Liquibase logged in as, over TCP with the password
    assert.is((await fx.server.psql(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'`)).trim(), fx.server.username)
  })

  test('a second run is a no-op, also with the same changelog from another dir', async () => {
    const again = await apply(target(join(fx.dir, 'changelog.yaml')))
    assert.ok(E.isRight(again.result), E.isLeft(again.result) ? again.result.left : '')
    assert.ok(again.lines.some((l) => /Previously run:\s+2/.test(l)), again.lines.join('\n'))
    assert.not.ok(again.lines.some((l) => l.includes('Running Changeset')), again.lines.join('\n'))
    const elsewhere = mkdtempSync(join(tmpdir(), 'mitosis-schema-copy-'))
    try {
      cpSync(join(fx.dir, 'changelog.yaml'), join(elsewhere, 'changelog.yaml'))
      const copy = await apply(target(join(elsewhere, 'changelog.yaml')))
      assert.ok(E.isRight(copy.result), E.isLeft(copy.result) ? copy.result.left : '')
      assert.not.ok(copy.lines.some((l) => l.includes('Running Changeset')), copy.lines.join('\n'))
    } finally {
      rmSync(elsewhere, { recursive: true, force: true })
    }
    assert.is((await fx.server.psql(`SELECT count(*) FROM databasechangelog`)).trim(), '2')
    assert.equal(await tables(), ['customers', 'databasechangelog', 'databasechangeloglock', 'orders'])
  })

  test('a broken changelog: one line naming the failing change set and the database error', async () => {
    const { result } = await apply(target(join(fx.dir, 'broken.yaml')))
    assert.ok(E.isLeft(result))
    const message = E.isLeft(result) ? result.left : ''
    assert.not.ok(message.includes('\n'), message)
    assert.match(message, /^liquibase update failed \(exit 1\): Migration failed for changeset broken\.yaml::broken::mitosis-test: /)
    assert.match(message, /type "nosuchtype" does not exist/)
    assert.not.ok((await tables()).includes('broken'))
  })

  test('a wrong password: one line, and the wrong password is not in it either', async () => {
    const wrong = `not-${PASSWORD}`
    const { result, lines } = await apply(target(join(fx.dir, 'changelog.yaml'), wrong))
    const message = E.isLeft(result) ? result.left : ''
    assert.match(message, /^liquibase update failed \(exit 1\): .*password authentication failed for user "mitosis_app"/)
    assert.not.ok(message.includes('\n'), message)
    for (const l of [...lines, message]) assert.not.ok(l.includes(wrong), l)
  })

  test('no Java: a clear message, and Liquibase is not started', async () => {
    const before = seen.length
    const result = await applyChangelog(target(join(fx.dir, 'changelog.yaml')), recordingShell, () => undefined, {
      env: { PATH: '/nonexistent', JAVA_HOME: '' },
    })
    assert.equal(result, E.left('Java not found: Liquibase needs Java 11 or later on PATH or in JAVA_HOME (Debian: apt-get install openjdk-17-jre-headless)'))
    assert.is(seen.length, before)
    const missing = await applyChangelog(target(join(fx.dir, 'nope.yaml')), recordingShell, () => undefined)
    assert.equal(missing, E.left(`changelog ${join(fx.dir, 'nope.yaml')} does not exist`))
  })

  test('mysql: Liquibase loads the MariaDB driver for the jdbc:mysql URL (a refused connection, not a missing driver)', async () => {
    const { result } = await apply({ ...target(join(fx.dir, 'changelog.yaml')), engine: 'mysql', port: 1 })
    const message = E.isLeft(result) ? result.left : ''
    assert.match(message, /^liquibase update failed \(exit 1\): Connection could not be created to jdbc:mysql:\/\/127\.0\.0\.1:1\/mitosis_test\?permitMysqlScheme with driver org\.mariadb\.jdbc\.Driver/)
  })

  test('the password was never on a command line, in a streamed line or in a message', () => {
    assert.ok(seen.length > 20)
    for (const s of seen) assert.not.ok(s.includes(PASSWORD), s)
  })
}

test.run()
