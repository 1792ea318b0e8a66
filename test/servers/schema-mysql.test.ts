/**
 * The schema step for real against MySQL: the Liquibase of the npm package `liquibase` (Java) applies a changelog,
 * through the jdbc:mysql URL and the MariaDB driver Liquibase ships, to a private MariaDB server
 * (test/support/mariadb.ts, Debian's mariadb-server) through the hooks' shell.
 */
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { mariadbUnavailable, startMariaDb } from '../support/mariadb.js'
import { BROKEN, liquibaseHarness } from '../support/liquibase.js'
import { liquibaseUnavailable, serverFixture, serverTestsAvailable } from '../support/servers.js'

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

const available = serverTestsAvailable(test, liquibaseUnavailable(mariadbUnavailable()), {
  needs: 'MariaDB and Java',
  skipping: 'the Liquibase tests against MySQL (MariaDB)',
  skipped: 'schema step against MySQL (MariaDB)',
})

if (available) {
  /** The temp dir with the changelogs (fx.dir) and the server (fx.server), set before the first test. */
  const fx = serverFixture(test, {
    prefix: 'mitosis-schema-mysql-',
    files: { 'changelog.xml': TWO_TABLES, 'broken.yaml': BROKEN },
    start: () => startMariaDb({ password: PASSWORD }),
  })
  /** seen: every line any run streamed, every command the shell was given, every message returned. */
  const { seen, target, apply } = liquibaseHarness('mysql', fx, PASSWORD)
  const query = async (sql: string): Promise<string[]> => (await fx.server.mariadb(sql)).trim().split('\n')
  const tables = (): Promise<string[]> =>
    query(`SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY BINARY table_name`)

  test('liquibase update creates both tables over jdbc:mysql, streaming its output', async () => {
    const { result, lines } = await apply(target(join(fx.dir, 'changelog.xml')))
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
    const again = await apply(target(join(fx.dir, 'changelog.xml')))
    assert.ok(E.isRight(again.result), E.isLeft(again.result) ? again.result.left : '')
    assert.ok(again.lines.some((l) => /Previously run:\s+2/.test(l)), again.lines.join('\n'))
    assert.not.ok(again.lines.some((l) => l.includes('Running Changeset')), again.lines.join('\n'))
    assert.equal(await query(`SELECT count(*) FROM DATABASECHANGELOG`), ['2'])
    assert.equal(await tables(), ['DATABASECHANGELOG', 'DATABASECHANGELOGLOCK', 'customers', 'orders'])
  })

  test('a broken changelog: one line naming the failing change set and the database error', async () => {
    const { result } = await apply(target(join(fx.dir, 'broken.yaml')))
    assert.ok(E.isLeft(result))
    const message = E.isLeft(result) ? result.left : ''
    assert.not.ok(message.includes('\n'), message)
    assert.match(message, /^liquibase update failed \(exit 1\): Migration failed for changeset broken\.yaml::broken::mitosis-test: /)
    assert.match(message, /nosuchtype/)
    assert.not.ok((await tables()).includes('broken'))
  })

  test('a wrong password: one line, and the wrong password is not in it either', async () => {
    const wrong = `not-${PASSWORD}`
    const { result, lines } = await apply(target(join(fx.dir, 'changelog.xml'), wrong))
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
