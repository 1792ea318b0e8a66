/**
 * The database artifact end to end, as a user runs it: an INI (the seed's keys) → `mitosis artifact build` against a
 * private moto_server (the base image taken from the engine with `docker save`, the artifact loaded back with
 * `docker load`, both through podman's Docker API on DOCKER_HOST) → `docker run IMAGE plan` → `docker run IMAGE
 * converge --mode clone` in a read-only container on the host network, as user 10001, the password on stdin → what
 * DescribeDBClusters and DescribeDBInstances show: the new cluster, its instances, their classes, the writer. Then
 * the same converge through the host wrapper (`mitosis artifact converge`) finds nothing to do, a second build of the
 * same inputs gives the same image ID, the saved image holds no password anywhere, and the Kubernetes manifest the
 * image prints carries the contract's fields.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readBaseImage } from '../../src/artifact/image/base.js'
import { layerTar } from '../../src/artifact/image/layout.js'
import { show } from '../support/cli.js'
import { runAgainstMoto, seedSourceCluster, writeArtifactIni } from '../support/artifact-e2e.js'
import { motoSuite, REGION, sdk } from '../support/moto-e2e.js'
import { makeNodeBase, podmanOnPath, startPodman, whenPodmanAvailable, type Podman } from '../support/podman.js'

const e2e = motoSuite({ name: 'artifact-e2e', awsFixups: true, runLimitMs: 300_000 })

const SOURCE = 'shop-prod'
const TARGET = 'shop-artifact'
const TAG = 'localhost/db-artifact:e2e'
const BASE = 'localhost/node-base:e2e'
const PASSWORD = 'E2e-Artifact-Pw-Never-Stored-7311'

let podman: Podman | undefined

whenPodmanAvailable('artifact end-to-end tests', () =>
  e2e.tests('artifact end-to-end tests', () => {
    test.after(async () => {
      await podman?.stop()
    })

    test('INI → build against moto → docker load → plan and converge in the container → the new cluster in moto', async () => {
      const t0 = Date.now()
      podman = await startPodman()
      const moto = await e2e.reset()
      await seedSourceCluster(moto.endpoint, { id: SOURCE, masterUsername: 'shop_admin', port: 5432, tags: [{ Key: 'environment', Value: 'production' }, { Key: 'service', Value: 'shop' }] })
      await makeNodeBase(podman, BASE)
      const dir = e2e.tempDir()
      // the seed's example, verbatim in its keys (`dontcare` included), plus the keys mitosis adds
      const ini = writeArtifactIni(dir, {
        source: [`source_db_cluster_id = ${SOURCE}`, 'liquibase_changelog_path = dontcare'],
        target: [`target_db_cluster_id = ${TARGET}`, 'subnet_ids = source', 'instance_type = db.r6g.large', 'database_name = dontcare', 'instance_count = 2', 'deletion_protection = false', 'tags = team=data, purpose=artifact'],
        tag: TAG,
      })
      // the host's environment: moto for AWS, podman's socket for `docker save` / `docker load`; a password in the
      // environment to prove the build never reads it
      const env = { ...e2e.env(moto, dir), DOCKER_HOST: podman.dockerHost, MITOSIS_DB_PASSWORD: PASSWORD, PATH: process.env['PATH'] ?? '' }
      const build = await e2e.cli(['artifact', 'build', ini, '--base-image', BASE], env)
      assert.is(build.code, 0, show(build))
      const id = build.stdout.trim().split('\n').at(-1)!
      assert.match(id, /^sha256:[0-9a-f]{64}$/, show(build))
      console.log(`  podman, moto, base and build in ${Date.now() - t0} ms`)

      // the same inputs: the same image ID
      const again = await e2e.cli(['artifact', 'build', ini, '--base-image', BASE], env)
      assert.is(again.code, 0, show(again))
      assert.is(again.stdout.trim().split('\n').at(-1), id)

      // the image as loaded: the engine knows it under its tag and ID
      const inspected = JSON.parse(await podman.must(['image', 'inspect', TAG]))[0]
      assert.is(`sha256:${String(inspected.Id).replace(/^sha256:/, '')}`, id)
      assert.is(inspected.Config.User, '10001:10001')
      assert.is(inspected.Config.Labels['io.mitosis.target'], TARGET)

      // plan: the embedded plan, as text and as JSON; a clone into a new cluster
      const planText = await podman.run(['run', '--rm', '--read-only', TAG, 'plan'])
      assert.is(planText.code, 0, planText.stderr)
      assert.match(planText.stdout, /RestoreDBClusterToPointInTime/)
      assert.match(planText.stdout, new RegExp(TARGET))
      const planJson = await podman.run(['run', '--rm', '--read-only', TAG, 'plan', '--json'])
      assert.is(planJson.code, 0, planJson.stderr)
      const plans = JSON.parse(planJson.stdout)
      assert.is(plans.clone.plan.kind, 'new-cluster')
      assert.is(plans.clone.plan.target, TARGET)

      // the Kubernetes manifest the image prints
      const manifest = await podman.run(['run', '--rm', '--read-only', TAG, 'manifest', 'kubernetes', '--schedule', '0 3 * * 1'])
      assert.is(manifest.code, 0, manifest.stderr)
      for (const field of ['kind: "CronJob"', 'concurrencyPolicy: "Forbid"', 'restartPolicy: "Never"', 'podFailurePolicy:', 'readOnlyRootFilesystem: true', 'runAsNonRoot: true', 'secretKeyRef:', '"/dev/termination-log"']) {
        assert.ok(manifest.stdout.includes(field), `manifest has ${field}:\n${manifest.stdout}`)
      }

      // converge --mode clone in a read-only container on the host network, the password on stdin
      const t1 = Date.now()
      const converge = await podman.run([...runAgainstMoto(moto.endpoint), TAG, 'converge', '--mode', 'clone', '--db-password-stdin', '--poll-interval', '0.2'], { input: `${PASSWORD}\n`, timeoutMs: 240_000 })
      console.log(`  converge in the container in ${Date.now() - t1} ms`)
      assert.is(converge.code, 0, `${converge.stdout}\n${converge.stderr}`)
      assert.not.match(converge.stdout + converge.stderr, new RegExp(PASSWORD))

      const rds = sdk(moto)
      try {
        const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: TARGET }))).DBClusters?.[0]
        assert.ok(cluster !== undefined, 'the new cluster exists')
        assert.is(cluster!.DBSubnetGroup, 'shop-db-subnets')
        assert.is(cluster!.DeletionProtection, false)
        const members = cluster!.DBClusterMembers ?? []
        assert.equal(members.map((m) => m.DBInstanceIdentifier).sort(), [`${TARGET}-1`, `${TARGET}-2`])
        assert.is(members.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier, `${TARGET}-1`)
        const instances = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []
        for (const k of [1, 2]) assert.is(instances.find((i) => i.DBInstanceIdentifier === `${TARGET}-${k}`)?.DBInstanceClass, 'db.r6g.large')
        const source = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: SOURCE }))).DBClusters?.[0]
        assert.equal((source?.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier), [`${SOURCE}-1`])
      } finally {
        rds.destroy()
      }

      // the host wrapper: the same image, ~/.aws mounted read-only, the password over stdin: nothing left to do
      const aws = join(dir, '.aws')
      mkdirSync(aws, { recursive: true })
      writeFileSync(join(aws, 'config'), `[default]\nregion = ${REGION}\nendpoint_url = ${moto.endpoint}\n`)
      writeFileSync(join(aws, 'credentials'), '[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n')
      // (podman itself, the private instance: through its Docker API, podman 4.3 loses the container's exit code)
      const onPath = podmanOnPath(podman, dir)
      const hostEnv = { ...env, AWS_REGION: REGION, AWS_ENDPOINT_URL: moto.endpoint, PATH: onPath['PATH'] ?? '', CONTAINERS_CONF: onPath['CONTAINERS_CONF'] ?? '' }
      const host = await e2e.cli(['artifact', 'converge', '--image', TAG, '--engine', 'podman', '--aws-dir', aws, '--network', 'host', '--db-password-stdin'], hostEnv, PASSWORD)
      assert.is(host.code, 0, show(host))
      assert.match(host.stdout, /Nothing to do/)

      // no password anywhere in the saved image: every layer, the config, the manifest
      const archive = join(dir, 'saved.tar')
      await podman.must(['save', '--format', 'docker-archive', '-o', archive, TAG])
      const saved = readBaseImage(`docker-archive:${archive}`)
      assert.not.ok(JSON.stringify(saved.config).includes(PASSWORD))
      // each layer uncompressed (a gzip stream would hide the bytes from a plain search)
      for (const layer of saved.layers) assert.not.ok(layerTar(layer).includes(PASSWORD), `layer ${layer.diffId} holds the password`)
      assert.not.ok(readFileSync(archive).includes(PASSWORD))
    })
  }),
)

test.run()
