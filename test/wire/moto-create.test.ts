/**
 * `mitosis create` applied against a real RDS API: an Aurora PostgreSQL cluster with a writer is created in a private
 * moto_server through the SDK, two subnets in moto's EC2, and the CLI (a child process, through the recording proxy
 * of test/support/moto.ts, the password piped on stdin) creates shop-new like shop-prod, judged as a user would: the
 * exit code, every mutating request RDS received (each plan step exactly once, in the plan's graph order), the
 * CreateDBCluster request (the source's engine, version and encryption; the password from stdin), no output carrying
 * the password, and what DescribeDBClusters / DescribeDBInstances show afterwards (the new cluster with its
 * instances, the source as it was).
 *
 * A second test makes somebody's subnet group `<target>-subnets` (with other subnets and tags) first: the CLI reads it
 * (DescribeDBSubnetGroups, then ListTagsForResource on its subgrp ARN), refuses in one line and sends nothing.
 *
 * No --changelog: moto's endpoints are no databases (the schema step is tested against a real PostgreSQL in
 * test/create.test.ts). The proxy runs with its AWS fix-up layer (awsFixups, documented in test/support/moto.ts).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBSubnetGroupsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-rds'
import type { Plan, Step } from '../../src/plan/plan.js'
import { planOf, show, succeeded } from '../support/cli.js'
import { createSubnets, isMutating, type Moto, type RecordedRequest } from '../support/moto.js'
import { asQuery, clusterWorld, equalJson, fromQuery, isLeaseRemoval, isLeaseWrite, motoSuite, REGION, sdk } from '../support/moto-e2e.js'

const e2e = motoSuite({ name: 'moto-create', awsFixups: true, runLimitMs: 30_000 })

const SOURCE = 'shop-prod'
const TARGET = 'shop-new'
const SOURCE_IDS: ReadonlyArray<string> = [SOURCE, 'shop-prod-1']
const PASSWORD = 'Piped-On-Stdin-7f3a9c'

/** An encrypted Aurora PostgreSQL cluster with one writer, created through the proxy as a user would. */
const seedSource = async (moto: Moto): Promise<void> => {
  const rds = sdk(moto)
  try {
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: SOURCE,
        Engine: 'aurora-postgresql',
        EngineVersion: '16.4',
        MasterUsername: 'shop_admin',
        MasterUserPassword: 'not-a-real-secret-1',
        DatabaseName: 'shop',
        Port: 5432,
        BackupRetentionPeriod: 7,
        StorageEncrypted: true,
        KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/aurora-key',
        Tags: [{ Key: 'environment', Value: 'production' }, { Key: 'service', Value: 'shop' }],
      }),
    )
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'shop-prod-1',
        DBClusterIdentifier: SOURCE,
        DBInstanceClass: 'db.r6g.large',
        Engine: 'aurora-postgresql',
        Tags: [{ Key: 'environment', Value: 'production' }],
      }),
    )
    // moto shows a new cluster as creating once, then available: the CLI should see what AWS would show later
    await rds.send(new DescribeDBClustersCommand({}))
  } finally {
    rds.destroy()
  }
}

/** A request as describeRequest (test/support/moto-e2e.ts) shows it, the password as ***. */
const describeRequest = (r: RecordedRequest): string => `${r.action} ${JSON.stringify({ ...fromQuery(r.params), MasterUserPassword: r.params['MasterUserPassword'] === undefined ? undefined : '***' })}`

/** Every step of the plan sent exactly once, each after the steps it waits for, and nothing else mutating. */
const assertConversation = (plan: Plan, requests: ReadonlyArray<RecordedRequest>): void => {
  const all = requests.filter(isMutating)
  // the new cluster is held by its name until it exists, then by the run's lease, taken away at the end
  const leaseAt = all.findIndex(isLeaseWrite)
  assert.ok(leaseAt > all.findIndex((r) => r.action === 'CreateDBCluster'), 'the lease is written once the cluster is there')
  assert.ok(leaseAt < all.findIndex((r) => r.action === 'CreateDBInstance'), 'the lease is written before the instances are asked for')
  assert.ok(isLeaseRemoval(all.at(-1)!), 'the last mutating request takes the lease away')
  const mutating = all.filter((r) => !isLeaseWrite(r) && !isLeaseRemoval(r))
  const sentAt = new Map<number, number>()
  for (const [k, request] of mutating.entries()) {
    const carried = fromQuery(request.params)
    const step = plan.steps.find((s) => s.op === request.action && !sentAt.has(s.n) && equalJson(asQuery(s.request, PASSWORD), carried))
    if (step === undefined) {
      assert.unreachable(`a mutating request that is no (unsent) step of the plan: ${describeRequest(request)}`)
      return
    }
    sentAt.set(step.n, k)
  }
  const missing = plan.steps.filter((s) => !sentAt.has(s.n)).map((s) => `${s.n} ${s.op} ${s.id}`)
  assert.equal(missing, [], `plan steps never sent: ${missing.join('; ')}`)
  assert.is(mutating.length, plan.steps.length, 'one mutating request per step of the plan')
  const label = (s: Step) => `step ${s.n} (${s.op} ${s.id})`
  for (const s of plan.steps) {
    for (const a of s.after) assert.ok(sentAt.get(a)! < sentAt.get(s.n)!, `${label(s)} was sent before ${label(plan.steps[a - 1]!)}, which it waits for`)
  }
}

e2e.tests('moto create tests', () => {
  test('mitosis create applied against moto: exit 0, the plan sent as planned, the password from stdin and nowhere else, the new cluster with its instances, the source untouched', async () => {
    const moto = await e2e.reset()
    await seedSource(moto)
    const subnets = await createSubnets(moto.endpoint, REGION, 2)
    const env = e2e.env(moto, e2e.tempDir())
    const before = await clusterWorld(moto)
    const args = ['create', '--like', SOURCE, '--target', TARGET, '--subnets', subnets.join(','), '--instances', '2', '--db-password-stdin']

    moto.clearRequests()
    const planRun = await e2e.cli([...args, '--plan', '--json'], env)
    const plan = planOf(planRun)
    assert.equal(moto.requests().filter(isMutating).map((r) => r.action), [], '--plan mutates nothing')
    // the name the new subnet group takes is read first (moto answers DBSubnetGroupNotFoundFault: free)
    assert.equal(
      moto.requests().filter((q) => q.action === 'DescribeDBSubnetGroups').map((q) => q.params['DBSubnetGroupName']),
      [`${TARGET}-subnets`],
    )
    assert.equal(
      plan.steps.map((s) => `${s.op} ${s.id}`),
      [`CreateDBSubnetGroup ${TARGET}-subnets`, `CreateDBCluster ${TARGET}`, `CreateDBInstance ${TARGET}-1`, `CreateDBInstance ${TARGET}-2`],
    )

    moto.clearRequests()
    const r = await e2e.cli([...args, '--yes', '--poll-interval', '0.2'], env, `${PASSWORD}\n`)
    succeeded(r)
    assert.match(r.stdout, new RegExp(`^Created ${TARGET} like ${SOURCE}: ${plan.steps.length} steps in [^\\n]*\\.$`, 'm'), show(r))
    const requests = moto.requests()
    assertConversation(plan, requests)

    const create = requests.find((q) => q.action === 'CreateDBCluster')!
    assert.is(create.params['MasterUserPassword'], PASSWORD, 'the password piped on stdin, sent as it was given')
    assert.is(create.params['Engine'], 'aurora-postgresql')
    assert.is(create.params['EngineVersion'], '16.4')
    assert.is(create.params['StorageEncrypted'], 'true')
    const sourceKms = before.clusters.get(SOURCE)!.raw['KmsKeyId']
    assert.type(sourceKms, 'string', "moto keeps the source's KMS key")
    assert.is(create.params['KmsKeyId'], sourceKms as string | undefined, "the source's KMS key")
    assert.is(create.params['DBSubnetGroupName'], `${TARGET}-subnets`)
    for (const [what, text] of [
      ['the plan run', planRun.stdout + planRun.stderr],
      ['the apply run', r.stdout + r.stderr],
      ['the plan', JSON.stringify(plan)],
    ] as const) {
      assert.not.ok(text.includes(PASSWORD), `${what} shows the password`)
    }

    // nothing mutating names the source (only a tag value says what the new cluster is like)
    for (const q of requests.filter(isMutating)) {
      for (const [key, value] of Object.entries(q.params)) {
        if (SOURCE_IDS.includes(value) || SOURCE_IDS.some((id) => value.endsWith(`:${id}`))) {
          assert.ok(/^Tags\.Tag\.\d+\.Value$/.test(key) || key === 'DBSubnetGroupDescription', `${q.action} names ${value} as ${key}: ${describeRequest(q)}`)
        }
      }
    }

    const after = await clusterWorld(moto)
    assert.ok(after.clusters.has(TARGET), `${TARGET} exists`)
    assert.equal(after.clusters.get(TARGET)!.members, [`${TARGET}-1`, `${TARGET}-2`], 'the new cluster and its instances')
    for (const id of [`${TARGET}-1`, `${TARGET}-2`]) assert.is(after.instances.get(id)?.cluster, TARGET, `${id} is an instance of ${TARGET}`)
    const created = after.clusters.get(TARGET)!.raw
    assert.is(created['Engine'], 'aurora-postgresql')
    assert.is(created['EngineVersion'], '16.4')
    assert.is(created['StorageEncrypted'], true)
    assert.is(created['DBSubnetGroup'], `${TARGET}-subnets`)
    for (const id of SOURCE_IDS) {
      const was = id === SOURCE ? before.clusters.get(id)?.json : before.instances.get(id)?.json
      const now = id === SOURCE ? after.clusters.get(id)?.json : after.instances.get(id)?.json
      assert.is(now, was, `${id} is as it was`)
    }
    assert.equal([...after.clusters.keys()].sort(), [SOURCE, TARGET].sort(), 'no other cluster')

    // the new subnet group carries the run's tags: a re-run knows it for its own
    const rds = sdk(moto)
    try {
      const group = (await rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: `${TARGET}-subnets` }))).DBSubnetGroups?.[0]
      assert.equal(group?.Subnets?.map((x) => x.SubnetIdentifier).sort(), [...subnets].sort())
      const tags = (await rds.send(new ListTagsForResourceCommand({ ResourceName: group!.DBSubnetGroupArn! }))).TagList ?? []
      assert.ok(tags.some((t) => t.Key === 'mitosis:run' && t.Value === plan.run), JSON.stringify(tags))
    } finally {
      rds.destroy()
    }
  })

  test("mitosis create against moto refuses a <target>-subnets somebody else made (read by DescribeDBSubnetGroups, its tags by ListTagsForResource), sending nothing", async () => {
    const moto = await e2e.reset()
    await seedSource(moto)
    const theirs = await createSubnets(moto.endpoint, REGION, 2, 201)
    const rds = sdk(moto)
    try {
      await rds.send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: `${TARGET}-subnets`,
          DBSubnetGroupDescription: 'payments team',
          SubnetIds: theirs,
          Tags: [{ Key: 'team', Value: 'payments' }],
        }),
      )
    } finally {
      rds.destroy()
    }
    const subnets = await createSubnets(moto.endpoint, REGION, 2)
    const env = e2e.env(moto, e2e.tempDir())
    moto.clearRequests()
    const r = await e2e.cli(['create', '--like', SOURCE, '--target', TARGET, '--subnets', subnets.join(','), '--db-password-stdin', '--yes'], env, `${PASSWORD}\n`)
    assert.is(r.code, 1, show(r))
    assert.is(r.stderr.trim(), `Error: ${TARGET}-subnets: the name is taken (a DB subnet group); choose another --target`, show(r))
    assert.equal(moto.requests().filter(isMutating).map((q) => q.action), [], 'nothing sent')
    assert.ok(moto.requests().some((q) => q.action === 'ListTagsForResource' && q.params['ResourceName']?.endsWith(`:subgrp:${TARGET}-subnets`) === true), 'the group\'s tags were read')
  })
})

test.run()
