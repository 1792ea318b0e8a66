/**
 * The schema step for real against MySQL: the Liquibase of the npm package `liquibase` (Java) applies a changelog,
 * through the jdbc:mysql URL and the MariaDB driver Liquibase ships, to a private MariaDB server
 * (test/support/mariadb.ts, Debian's mariadb-server) through the hooks' shell.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { Shell } from '../src/interpret/apply.js'
import { processShell } from '../src/interpret/shell.js'
import { applyChangelog, findJava, type ChangelogTarget } from '../src/interpret/schema.js'
import { mariadbUnavailable, startMariaDb, type MariaDb } from './support/mariadb.js'

const PASSWORD = `Pw'"$(id)%&\\-${process.pid}`

const TWO_TABLES = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog
    xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">
  <changeSet id="customers" author="mitosis-test">
    <createTable tableName="customers">
      <column name="id" type="bigint"><constraints primaryKey="true"/></column>
      <column name="name" type="varchar(100)"/>
    </createTable>
  </changeSet>
  <changeSet id="orders" author="mitosis-test">
    <createTable tableName="orders">
      <column name="id" type="bigint"><constraints primaryKey="true"/></column>
      <column name="customer_id" type="bigint">
        <constraints references="customers(id)" foreignKeyName="fk_orders_customer"/>
      </column>
    </createTable>
  </changeSet>
</databaseChangeLog>
`

const BROKEN = `databaseChangeLog:
  - changeSet:
      id: broken
      author: mitosis-test
      changes:
        - sql:
            sql: CREATE TABLE broken ( id bigint PRIMARY KEY, oops nosuchtype )
`

const ci = (process.env['CI'] ?? '') !== ''
const unavailable = mariadbUnavailable() ?? (E.isLeft(findJava(process.env)) ? 'no Java on PATH or in JAVA_HOME (Liquibase needs it)' : undefined)

if (unavailable !== undefined) {
  if (ci) {
    test('MariaDB and Java are available', () => assert.unreachable(`${unavailable}, and CI is set`))
  } else {
    console.log(`\n  notice: ${unavailable}; skipping the Liquibase tests against MySQL (MariaDB) (set CI to make this a failure)\n`)
    test.skip('schema step against MySQL (MariaDB)')
  }
} else {
  let db: MariaDb | undefined
  let dir = ''
  /** Every line any run streamed, every command the shell was given, every message returned. */
  const seen: string[] = []
  const recordingShell: Shell = {
    run: (command, env, onLine, timeoutMs) => {
      seen.push(command)
      return processShell.run(command, env, onLine, timeoutMs)
    },
  }
  const target = (changelog: string, password = PASSWORD): ChangelogTarget => ({
    engine: 'mysql',
    host: db!.host,
    port: db!.port,
    database: db!.database,
    username: db!.username,
    password,
    changelog,
  })
  const apply = async (t: ChangelogTarget): Promise<{ result: E.Either<string, void>; lines: string[] }> => {
    const lines: string[] = []
    const result = await applyChangelog(t, recordingShell, (_stream, line) => lines.push(line), { timeoutMs: 60_000 })
    seen.push(...lines, E.isLeft(result) ? result.left : 'ok')
    return { result, lines }
  }
  const query = async (sql: string): Promise<string[]> => (await db!.mariadb(sql)).trim().split('\n')
  const tables = (): Promise<string[]> =>
    query(`SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY BINARY table_name`)

  // uvu reports a suite whose before hook throws as passed (0 of N run, exit 0): a server that does not start fails
  // every test instead
  let startError: unknown
  test.before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mitosis-schema-mysql-'))
    writeFileSync(join(dir, 'changelog.xml'), TWO_TABLES)
    writeFileSync(join(dir, 'broken.yaml'), BROKEN)
    try {
      db = await startMariaDb({ password: PASSWORD })
    } catch (e) {
      startError = e
    }
  })
  test.before.each(() => {
    if (startError !== undefined) throw startError
  })

  test.after(async () => {
    await db?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('liquibase update creates both tables over jdbc:mysql, streaming its output', async () => {
    const { result, lines } = await apply(target(join(dir, 'changelog.xml')))
    assert.ok(E.isRight(result), E.isLeft(result) ? result.left : '')
    assert.equal(await tables(), ['DATABASECHANGELOG', 'DATABASECHANGELOGLOCK', 'customers', 'orders'])
    assert.ok(lines.some((l) => l.includes('Running Changeset: changelog.xml::orders::mitosis-test')), lines.join('\n'))
    assert.equal(await query(`SELECT count(*) FROM DATABASECHANGELOG`), ['2'])
    assert.equal(
      await query(
        `SELECT constraint_name, referenced_table_name FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()`,
      ),
      ['fk_orders_customer\tcustomers'],
    )
  })

  test('a second run is a no-op', async () => {
    const again = await apply(target(join(dir, 'changelog.xml')))
    assert.ok(E.isRight(again.result), E.isLeft(again.result) ? again.result.left : '')
    assert.ok(again.lines.some((l) => /Previously run:\s+2/.test(l)), again.lines.join('\n'))
    assert.not.ok(again.lines.some((l) => l.includes('Running Changeset')), again.lines.join('\n'))
    assert.equal(await query(`SELECT count(*) FROM DATABASECHANGELOG`), ['2'])
    assert.equal(await tables(), ['DATABASECHANGELOG', 'DATABASECHANGELOGLOCK', 'customers', 'orders'])
  })

  test('a broken changelog: one line naming the failing change set and the database error', async () => {
    const { result } = await apply(target(join(dir, 'broken.yaml')))
    assert.ok(E.isLeft(result))
    const message = E.isLeft(result) ? result.left : ''
    assert.not.ok(message.includes('\n'), message)
    assert.match(message, /^liquibase update failed \(exit 1\): Migration failed for changeset broken\.yaml::broken::mitosis-test: /)
    assert.match(message, /nosuchtype/)
    assert.not.ok((await tables()).includes('broken'))
  })

  test('a wrong password: one line, and the wrong password is not in it either', async () => {
    const wrong = `not-${PASSWORD}`
    const { result, lines } = await apply(target(join(dir, 'changelog.xml'), wrong))
    const message = E.isLeft(result) ? result.left : ''
    assert.match(message, /^liquibase update failed \(exit 1\): .*Access denied for user 'mitosis_app'@'127\.0\.0\.1'/)
    assert.not.ok(message.includes('\n'), message)
    for (const l of [...lines, message]) assert.not.ok(l.includes(wrong), l)
  })

  test('the password was never on a command line, in a streamed line or in a message', () => {
    assert.ok(seen.length > 20)
    for (const s of seen) assert.not.ok(s.includes(PASSWORD), s)
  })
}

test.run()
