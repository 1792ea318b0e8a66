/**
 * The artifact's create path end to end, once: an INI with a real Liquibase changelog and a database name →
 * `mitosis artifact build` against a private moto_server (the image then carries the create plan, Liquibase and the
 * changelog) → `converge --mode create` in a read-only container on the host network, as user 10001, the password on
 * stdin → CreateDBCluster / CreateDBInstance in moto, and the schema step's Liquibase (java from the base image, found
 * through the JAVA_HOME the base's Env gives) run against a private PostgreSQL standing in for the new cluster's
 * writer: the proxy names 127.0.0.1 as every endpoint, and the source cluster listens on the server's port, which the
 * create copies. Then: the cluster and its instances in moto, the changelog's table in PostgreSQL, a second converge
 * that resumes the run (Liquibase again, finding nothing to do), and the password in no output.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { show } from '../support/cli.js'
import { runAgainstMoto, seedSourceCluster, writeArtifactIni } from '../support/artifact-e2e.js'
import { motoSuite, sdk } from '../support/moto-e2e.js'
import { javaRuntime, makeNodeBase, startPodman, whenPodmanAvailable, type Podman } from '../support/podman.js'
import { postgresUnavailable, startPostgres, type Postgres } from '../support/postgres.js'
import { liquibaseUnavailable, LOOPBACK, serverTestsAvailable } from '../support/servers.js'

const e2e = motoSuite({ name: 'artifact-create-e2e', awsFixups: true, runLimitMs: 300_000, endpointAddress: LOOPBACK })

const SOURCE = 'shop-prod'
const TARGET = 'shop-created'
const TAG = 'localhost/db-artifact:create-e2e'
const BASE = 'localhost/node-java-base:e2e'
/** Where the base image has the JRE: its Env's JAVA_HOME, which the artifact inherits. */
const JAVA_HOME = '/opt/java'
const PASSWORD = 'E2e-Create-Pw-Never-Stored-5521'
/** The master user: the source's, which the create copies; PostgreSQL's login role of that name has PASSWORD. */
const MASTER = 'shop_admin'
/** database_name in the INI (not the source's `shop`): the database the schema step connects to. */
const DATABASE = 'shop_artifact'

let podman: Podman | undefined
let pg: Postgres | undefined

/** The changelog: one change set making a table, as a user's first changelog would. */
const CHANGELOG = `databaseChangeLog:
  - changeSet:
      id: create-orders
      author: mitosis-e2e
      changes:
        - createTable:
            tableName: orders
            columns:
              - column: { name: id, type: bigint, constraints: { primaryKey: true } }
              - column: { name: placed_at, type: timestamptz }
`

whenPodmanAvailable('artifact create end-to-end test', () =>
  e2e.tests('artifact create end-to-end test', () => {
    test.after(async () => {
      await pg?.stop()
      await podman?.stop()
    })

    const available = serverTestsAvailable(test, liquibaseUnavailable(postgresUnavailable()), {
      needs: 'PostgreSQL and Java',
      skipping: 'the artifact create end-to-end test',
      skipped: 'artifact create end-to-end test',
    })
    if (!available) return

    test('INI with a changelog → build → converge --mode create in the container → the cluster in moto, the table in PostgreSQL', async () => {
      const t0 = Date.now()
      podman = await startPodman()
      pg = await startPostgres({ database: DATABASE, username: MASTER, password: PASSWORD })
      const moto = await e2e.reset()
      await seedSourceCluster(moto.endpoint, { id: SOURCE, masterUsername: MASTER, port: pg.port, tags: [{ Key: 'service', Value: 'shop' }] })
      const dir = e2e.tempDir()
      await makeNodeBase(podman, BASE, { trees: [[javaRuntime(dir), JAVA_HOME]], env: { JAVA_HOME } })
      const changelog = join(dir, 'schema.yaml')
      writeFileSync(changelog, CHANGELOG)
      const ini = writeArtifactIni(dir, {
        source: [`source_db_cluster_id = ${SOURCE}`, `liquibase_changelog_path = ${changelog}`],
        target: [`target_db_cluster_id = ${TARGET}`, 'subnet_ids = source', 'instance_type = db.r6g.large', `database_name = ${DATABASE}`, 'instance_count = 2', 'deletion_protection = false'],
        tag: TAG,
      })
      const env = { ...e2e.env(moto, dir), DOCKER_HOST: podman.dockerHost, PATH: process.env['PATH'] ?? '' }
      const build = await e2e.cli(['artifact', 'build', ini, '--base-image', BASE], env)
      assert.is(build.code, 0, show(build))
      assert.match(build.stdout.trim().split('\n').at(-1)!, /^sha256:[0-9a-f]{64}$/, show(build))
      console.log(`  podman, PostgreSQL, moto, base and build in ${Date.now() - t0} ms`)
      // the artifact keeps the base's Env: Java is found there, and nothing in the run below names it
      const inspected = JSON.parse(await podman.must(['image', 'inspect', TAG]))[0]
      assert.ok((inspected.Config.Env as string[]).includes(`JAVA_HOME=${JAVA_HOME}`), JSON.stringify(inspected.Config.Env))

      // the image's create plan: a new cluster like the source, then the schema step on the changelog inside the image
      const planJson = await podman.run(['run', '--rm', '--read-only', TAG, 'plan', '--json'])
      assert.is(planJson.code, 0, planJson.stderr)
      const create = JSON.parse(planJson.stdout).create.plan
      assert.equal(create.steps.map((s: { op: string }) => s.op), ['CreateDBCluster', 'CreateDBInstance', 'CreateDBInstance', 'RunLiquibase'])
      assert.equal(create.steps.at(-1).request, {
        DBClusterIdentifier: TARGET,
        Engine: 'postgres',
        Changelog: '/mitosis/changelog/schema.yaml',
        Database: DATABASE,
        Username: MASTER,
        Password: { fromSecret: 'master-password' },
      })

      // converge --mode create, read-only, as 10001, on the host network; Java from the base's JAVA_HOME, nothing passed for it
      const t1 = Date.now()
      const converge = await podman.run([...runAgainstMoto(moto.endpoint), TAG, 'converge', '--mode', 'create', '--db-password-stdin', '--poll-interval', '0.2'], {
        input: `${PASSWORD}\n`,
        timeoutMs: 240_000,
      })
      console.log(`  converge --mode create in the container in ${Date.now() - t1} ms`)
      const output = `${converge.stdout}\n${converge.stderr}`
      assert.is(converge.code, 0, output)
      assert.ok(!output.includes(PASSWORD), `the password is in the converge's output:\n${output}`)

      const rds = sdk(moto)
      try {
        const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: TARGET }))).DBClusters?.[0]
        assert.ok(cluster !== undefined, 'the new cluster exists')
        assert.equal([cluster!.Engine, cluster!.MasterUsername, cluster!.DatabaseName, cluster!.Port], ['aurora-postgresql', MASTER, DATABASE, pg.port])
        const members = cluster!.DBClusterMembers ?? []
        assert.equal(members.map((m) => m.DBInstanceIdentifier).sort(), [`${TARGET}-1`, `${TARGET}-2`])
        assert.is(members.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier, `${TARGET}-1`)
        const instances = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []
        for (const k of [1, 2]) assert.is(instances.find((i) => i.DBInstanceIdentifier === `${TARGET}-${k}`)?.DBInstanceClass, 'db.r6g.large')
      } finally {
        rds.destroy()
      }

      // the schema: the changelog's table, and Liquibase's record of the change set under the changelog's own name
      assert.is((await pg.psql(`SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders'`)).trim(), 'id bigint, placed_at timestamp with time zone')
      assert.is((await pg.psql('SELECT id, filename FROM public.databasechangelog')).trim(), 'create-orders|schema.yaml')

      // the same converge again resumes the run: the cluster and instances are done; the schema step leaves no trace
      // describe shows, so it runs again, and Liquibase finds the change set applied
      const again = await podman.run([...runAgainstMoto(moto.endpoint), TAG, 'converge', '--mode', 'create', '--db-password-stdin', '--poll-interval', '0.2'], { input: `${PASSWORD}\n`, timeoutMs: 120_000 })
      const againOutput = `${again.stdout}\n${again.stderr}`
      assert.is(again.code, 0, againOutput)
      assert.match(again.stdout, /resuming run r\w+: 3 of 4 steps already done/)
      assert.match(again.stdout, /Database is up to date, no changesets to execute/)
      assert.is((await pg.psql('SELECT count(*) FROM public.databasechangelog')).trim(), '1')
      assert.ok(!againOutput.includes(PASSWORD), `the password is in the second converge's output:\n${againOutput}`)
      assert.not.match(build.stdout + build.stderr, new RegExp(PASSWORD))
    })
  }),
)

test.run()
