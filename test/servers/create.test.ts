/**
 * Creating a new, empty Aurora cluster like an existing one (database-artifact-factory's "create"): the plan
 * (operations, order, requests; no password anywhere in it), its refusals, and applying it on the simulator with
 * the schema step run by the real Liquibase against a private PostgreSQL (test/support/postgres.ts) standing in
 * for the new cluster's writer endpoint (the interpreter's `resolveEndpoint` capability maps the simulator's address
 * to the local server). The password never shows in events, errors, the simulator's call log or the CLI's output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite, test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { renderApplyFailure, type ApplyEvent } from '../../src/interpret/apply.js'
import { applyPlan } from '../../src/interpret/scheduler.js'
import { processShell } from '../../src/interpret/shell.js'
import { createRunIdFor } from '../../src/plan/runs.js'
import { planCreate, type CreateRequest } from '../../src/plan/create.js'
import type { Environment, Tag } from '../../src/plan/domain.js'
import { iamPolicy } from '../../src/plan/iam.js'
import { MASTER_PASSWORD_SECRET, type CreateDBClusterRequest, type CreateDBInstanceRequest } from '../../src/plan/operations.js'
import { type Plan } from '../../src/plan/plan.js'
import { planProgress } from '../../src/plan/progress.js'
import { renderJson, renderText } from '../../src/plan/render/text.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { clusterWorld, killable, Killed, planCall, runCreate } from '../support/apply.js'
import { cli, cleanEnv, show } from '../support/cli.js'
import { fixture, fixturePath } from '../support/fixtures.js'
import { postgresUnavailable, startPostgres } from '../support/postgres.js'
import { liquibaseUnavailable, serverFixture, serverTestsAvailable } from '../support/servers.js'
import { renderProblems } from '../../src/plan/problems.js'

const HOUR = 3_600_000
const OPTIONS = { pollIntervalMs: 30_000, stepTimeoutMs: 3 * HOUR, hookTimeoutMs: 5 * 60_000 }
const PASSWORD = `Cr3ate-${process.pid}-s3cret!`
const REQ: CreateRequest = { like: 'shop-prod', target: 'shop-new', password: 'secret' }

/** A step's request as CreateDBCluster's / CreateDBInstance's (the test fails if the step is another operation). */
const clusterRequest = (s: Plan['steps'][number] | undefined): CreateDBClusterRequest => {
  assert.is(s?.op, 'CreateDBCluster')
  return s!.request as CreateDBClusterRequest
}
const instanceRequest = (s: Plan['steps'][number] | undefined): CreateDBInstanceRequest => {
  assert.is(s?.op, 'CreateDBInstance')
  return s!.request as CreateDBInstanceRequest
}

const planned = (env: Environment, req: Partial<CreateRequest> = {}): Plan => {
  const r = planCreate(env, { ...REQ, ...req })
  if (E.isLeft(r)) throw new Error(renderProblems(r.left))
  return r.right
}
const refusal = (env: Environment, req: Partial<CreateRequest>): string => {
  const r = planCreate(env, { ...REQ, ...req })
  if (E.isRight(r)) throw new Error('expected a refusal')
  return renderProblems(r.left)
}

test('plan: subnet group, cluster with the source settings, writer then readers, then the schema', () => {
  const env = fixture('aurora')
  const p = planned(env, { subnets: ['subnet-aaa', ' subnet-bbb'], instances: 3, changelog: '/work/changelog.yaml', instanceClass: 'db.r6g.large' })
  assert.equal(
    p.steps.map((s) => `${s.n} ${s.phase} ${s.op} ${s.id} after ${s.after.join(',')}`),
    [
      '1 create CreateDBSubnetGroup shop-new-subnets after ',
      '2 create CreateDBCluster shop-new after 1',
      '3 create CreateDBInstance shop-new-1 after 2',
      '4 create CreateDBInstance shop-new-2 after 3',
      '5 create CreateDBInstance shop-new-3 after 3',
      '6 schema RunLiquibase shop-new after 4,5',
    ],
  )
  const [group, cluster, writer, , , schema] = p.steps
  assert.equal(group!.request, {
    DBSubnetGroupName: 'shop-new-subnets',
    DBSubnetGroupDescription: 'shop-new, created by mitosis like shop-prod',
    SubnetIds: ['subnet-aaa', 'subnet-bbb'],
    // the source's tags and the run's: a re-run knows the group for its own by them
    Tags: [
      { Key: 'environment', Value: 'production' },
      { Key: 'service', Value: 'shop' },
      { Key: 'mitosis:run', Value: p.run },
      { Key: 'mitosis:source', Value: 'shop-prod' },
      { Key: 'mitosis:copy-of', Value: 'shop-new-subnets' },
    ],
  })
  const c = clusterRequest(cluster)
  assert.is(c.Engine, 'aurora-postgresql')
  assert.is(c.EngineVersion, '16.4')
  assert.is(c.DatabaseName, 'shop')
  assert.is(c.MasterUsername, 'shop_admin')
  assert.equal(c.MasterUserPassword, { fromSecret: MASTER_PASSWORD_SECRET })
  assert.is(c.ManageMasterUserPassword, undefined)
  assert.is(c.StorageEncrypted, true)
  assert.is(c.KmsKeyId, 'arn:aws:kms:us-east-1:123456789012:key/aurora-key')
  assert.is(c.DBSubnetGroupName, 'shop-new-subnets')
  assert.is(c.DBClusterParameterGroupName, 'shop-prod-cluster-pg16')
  assert.is(c.BackupRetentionPeriod, 14)
  assert.is(c.PreferredBackupWindow, '02:00-02:30')
  assert.is(c.PreferredMaintenanceWindow, 'sun:03:00-sun:03:30')
  assert.is(c.DeletionProtection, true)
  assert.ok(c.Tags?.some((t) => t.Key === 'service' && t.Value === 'shop'))
  assert.ok(c.Tags?.some((t) => t.Key === 'mitosis:run' && t.Value === p.run))
  const w = instanceRequest(writer)
  assert.equal([w.DBInstanceClass, w.Engine, w.DBClusterIdentifier], ['db.r6g.large', 'aurora-postgresql', 'shop-new'])
  assert.equal(schema!.request, {
    DBClusterIdentifier: 'shop-new',
    Engine: 'postgres',
    Changelog: '/work/changelog.yaml',
    Database: 'shop',
    Username: 'shop_admin',
    Password: { fromSecret: MASTER_PASSWORD_SECRET },
  })
  // the password is never in the plan: only the secret's name
  for (const out of [renderJson(p), renderText(p), JSON.stringify(iamPolicy(env, p))]) {
    assert.not.match(out, /"MasterUserPassword":\s*"/)
    assert.not.ok(out.includes(PASSWORD))
  }
  assert.match(renderText(p), /^Plan: create shop-new like shop-prod in us-east-1, 6 steps/)
  assert.match(renderText(p), /MasterUserPassword=fromSecret=master-password/)
  const policy = iamPolicy(env, p)
  const actions = policy.Statement.flatMap((s) => s.Action)
  for (const a of ['rds:CreateDBSubnetGroup', 'rds:CreateDBCluster', 'rds:CreateDBInstance', 'rds:DescribeDBClusters', 'rds:DescribeDBSubnetGroups']) assert.ok(actions.includes(a), a)
  // the group is read by name (and its tags listed) before it is made, and made with tags
  const groupArn = 'arn:aws:rds:us-east-1:123456789012:subgrp:shop-new-subnets'
  const describe = policy.Statement.find((s) => s.Sid === 'DescribeEnvironment')!
  assert.ok(describe.Action.includes('rds:ListTagsForResource') && describe.Resource.includes(groupArn), JSON.stringify(describe))
  assert.ok(policy.Statement.find((s) => s.Sid === 'AddTagsToResource')!.Resource.includes(groupArn))
})

test('plan: the source subnet group and security groups by default; managed password; --engine-version', () => {
  const env = fixture('aurora')
  const p = planned(env, { password: 'managed', engineVersion: '17.2', databaseName: 'app', masterUsername: 'owner' })
  assert.equal(p.steps.map((s) => s.op), ['CreateDBCluster', 'CreateDBInstance'])
  const c = clusterRequest(p.steps[0])
  assert.is(c.DBSubnetGroupName, 'prod-db-subnets')
  assert.equal(c.VpcSecurityGroupIds, ['sg-0a1b2c3d4e5f60001'])
  assert.is(c.ManageMasterUserPassword, true)
  assert.is(c.MasterUserPassword, undefined)
  assert.is(c.EngineVersion, '17.2')
  // another major version: the source's parameter groups do not fit
  assert.is(c.DBClusterParameterGroupName, undefined)
  assert.equal([c.DatabaseName, c.MasterUsername], ['app', 'owner'])
  const w = instanceRequest(p.steps[1])
  assert.is(w.DBInstanceClass, env.instances.find((i) => i.DBInstanceIdentifier === 'shop-prod-1')!.DBInstanceClass)
})

test('refusals: one line each', () => {
  const env = fixture('aurora')
  assert.is(refusal(env, { target: 'shop-staging' }), 'shop-staging: the name is taken (a DB cluster, available); choose another --target')
  assert.is(refusal(env, { target: 'shop-prod-1' }), 'shop-prod-1: the name is taken (a DB instance, available); choose another --target')
  assert.match(refusal(env, { like: 'shop-prod-1' }), /shop-prod-1/)
  assert.match(refusal(env, { like: 'nope' }), /^nope: no such DB cluster/)
  assert.match(refusal(env, { target: 'bad--name' }), /^"bad--name" is not a valid DB cluster identifier: it must not contain two hyphens in a row$/)
  assert.is(refusal(env, { instances: 0 }), '--instances must be 1 or more, got 0')
  assert.is(refusal(env, { subnets: ['subnet-aaa'] }), '--subnets: give two or more subnets (in two or more Availability Zones), or "source"')
  assert.is(refusal(env, { subnets: ['subnet-aaa', 'sg-1'] }), '--subnets: not a subnet id: sg-1 (expected subnet-…, or "source")')
  assert.match(refusal(env, { password: 'managed', changelog: '/x.yaml' }), /^--changelog needs the master password/)
  assert.match(refusal(env, { databaseName: '1app' }), /not a valid database name/)
})

/** The aurora fixture with a subnet group shop-new-subnets (in another VPC, with other subnets) tagged so. */
const withGroup = (tags: ReadonlyArray<Tag>): Environment => ({
  ...fixture('aurora'),
  subnetGroups: [
    {
      DBSubnetGroupName: 'shop-new-subnets',
      DBSubnetGroupArn: 'arn:aws:rds:us-east-1:123456789012:subgrp:shop-new-subnets',
      VpcId: 'vpc-0payments',
      SubnetGroupStatus: 'Complete',
      Subnets: [{ SubnetIdentifier: 'subnet-0pay1' }, { SubnetIdentifier: 'subnet-0pay2' }],
      TagList: [...tags],
    },
  ],
})
const SUBNETS = ['subnet-aaa', 'subnet-bbb']
const GROUP_TAKEN = 'shop-new-subnets: the name is taken (a DB subnet group); choose another --target'

test("plan: a subnet group <target>-subnets that is not this run's is refused; this run's own (a re-run) is taken", () => {
  assert.is(refusal(withGroup([{ Key: 'team', Value: 'payments' }]), { subnets: SUBNETS }), GROUP_TAKEN)
  assert.is(refusal(withGroup([]), { subnets: SUBNETS }), GROUP_TAKEN)
  // another run's (shop-new like another cluster) is not this one's either
  assert.is(refusal(withGroup([{ Key: 'mitosis:run', Value: createRunIdFor('shop-staging', 'shop-new') }]), { subnets: SUBNETS }), GROUP_TAKEN)
  // without --subnets the create makes no group: a group of that name is no concern
  assert.equal(planned(withGroup([])).steps.map((s) => s.op), ['CreateDBCluster', 'CreateDBInstance'])
  // the group an earlier attempt made carries the run's tags: the same plan again
  const fresh = planned(fixture('aurora'), { subnets: SUBNETS })
  const made = fresh.steps[0]!
  assert.is(made.op, 'CreateDBSubnetGroup')
  assert.equal(planned(withGroup((made.request as { Tags: Tag[] }).Tags), { subnets: SUBNETS }), fresh)
})

test("apply: a subnet group somebody made after the plan was checked is not used; the run stops there, naming it", async () => {
  const p = planned(fixture('aurora'), { subnets: SUBNETS })
  const sim = simulate(withGroup([{ Key: 'team', Value: 'payments' }]))
  const r = await applyPlan(p, { rds: sim, clock: sim.clock, shell: processShell, random: () => 0.5 }, { ...OPTIONS, secrets: { [MASTER_PASSWORD_SECRET]: PASSWORD } }, () => undefined)
  if (E.isRight(r)) assert.unreachable('applied over a foreign subnet group')
  else {
    assert.is(
      renderApplyFailure(r.left, p),
      `step 1: CreateDBSubnetGroup failed (DBSubnetGroupAlreadyExists): shop-new-subnets exists and is not this run's (it has no mitosis:run tag ${p.run}); choose another --target`,
    )
  }
  assert.equal(sim.calls().filter(planCall).map((c) => `${c.action} ${c.outcome}`), ['CreateDBSubnetGroup DBSubnetGroupAlreadyExists'])
})

test('apply on the simulator: the cluster and its instances; a re-run finds them done; the password is in no event or log', async () => {
  const env = fixture('aurora')
  const sim = simulate(env)
  const p = planned(env, { subnets: ['subnet-aaa', 'subnet-bbb'], instances: 2 })
  const events: ApplyEvent[] = []
  const r = await applyPlan(p, { rds: sim, clock: sim.clock, shell: processShell, random: () => 0.5 }, { ...OPTIONS, secrets: { [MASTER_PASSWORD_SECRET]: PASSWORD } }, (e) => events.push(e))
  assert.ok(E.isRight(r), E.isLeft(r) ? renderApplyFailure(r.left, p) : '')
  const after = sim.environment()
  const c = after.clusters!.find((x) => x.DBClusterIdentifier === 'shop-new')!
  assert.is(c.Status, 'available')
  assert.equal(c.DBClusterMembers!.map((m) => [m.DBInstanceIdentifier, m.IsClusterWriter]), [['shop-new-1', true], ['shop-new-2', false]])
  assert.is(c.DBSubnetGroup, 'shop-new-subnets')
  assert.is(c.StorageEncrypted, true)
  // the subnet group: described by name, its ARN name-based, the run's tags on it as ListTagsForResource shows
  const described = await sim.describeDBSubnetGroups('shop-new-subnets')()
  const group = E.isRight(described) ? described.right[0] : undefined
  assert.equal([group?.DBSubnetGroupArn, group?.Subnets?.map((x) => x.SubnetIdentifier)], ['arn:aws:rds:us-east-1:123456789012:subgrp:shop-new-subnets', ['subnet-aaa', 'subnet-bbb']])
  const tags = await sim.listTagsForResource(group!.DBSubnetGroupArn!)()
  assert.ok(E.isRight(tags) && tags.right.some((t) => t.Key === 'mitosis:run' && t.Value === p.run), JSON.stringify(tags))
  // a name no group has: none, though RDS answers DBSubnetGroupNotFoundFault (the call log shows it)
  assert.equal(await sim.describeDBSubnetGroups('nobody-subnets')(), E.right([]))
  assert.is(sim.calls().at(-1)?.outcome, 'DBSubnetGroupNotFoundFault')
  assert.is(sim.dataOf('shop-new'), 'shop-new')
  const sent = sim.calls().find((x) => x.action === 'CreateDBCluster')!
  assert.is((sent.input as Record<string, unknown>)['MasterUserPassword'], '***')
  assert.not.ok(JSON.stringify(sim.calls()).includes(PASSWORD))
  assert.not.ok(JSON.stringify(events).includes(PASSWORD))
  // a re-run: the same plan, with everything done
  const again = planned(after, { subnets: ['subnet-aaa', 'subnet-bbb'], instances: 2 })
  assert.equal(again, p)
  assert.ok(planProgress(after, again).every((x) => x._tag === 'done'))
})

/** What a user would check after a create: the clusters and instances, and how often each cluster's password was set. */
const createEndState = (sim: Simulator) => {
  const world = clusterWorld(sim)
  return { ...world, clusters: world.clusters.map((c) => ({ ...c, passwordSets: sim.masterCredentials(c.id)?.sets })) }
}

/** The calls RDS took that change the world, as `action name`, sorted. */
const accepted = (sim: Simulator): string[] =>
  sim
    .calls()
    .filter((c) => c.outcome === 'ok' && planCall(c))
    .map((c) => {
      const input = c.input as Record<string, unknown>
      return `${c.action} ${String(input['DBInstanceIdentifier'] ?? input['DBClusterIdentifier'] ?? input['DBSubnetGroupName'])}`
    })
    .sort()

const CREATE: CreateRequest = { ...REQ, subnets: ['subnet-aaa', 'subnet-bbb'], instances: 3 }
const SECRETS = { [MASTER_PASSWORD_SECRET]: PASSWORD }

test('apply on the simulator: killed after each accepted call (or in its waits), then re-run: the same end state as a run without a kill', async () => {
  const whole = simulate(fixture('aurora'))
  const first = await runCreate(whole, CREATE, { secrets: SECRETS })
  assert.ok(E.isRight(first.result), E.isLeft(first.result) ? renderApplyFailure(first.result.left, first.plan) : '')
  assert.equal(first.plan.steps.map((s) => s.op), ['CreateDBSubnetGroup', 'CreateDBCluster', 'CreateDBInstance', 'CreateDBInstance', 'CreateDBInstance'])
  const expected = createEndState(whole)
  const once = accepted(whole)
  assert.equal(once, ['CreateDBCluster shop-new', 'CreateDBInstance shop-new-1', 'CreateDBInstance shop-new-2', 'CreateDBInstance shop-new-3', 'CreateDBSubnetGroup shop-new-subnets'])
  // the uninterrupted end state is the one asked for: the cluster and its instances available and tagged, the source as it was
  const created = expected.clusters.find((c) => c.id === 'shop-new')!
  assert.is(created.status, 'available')
  assert.equal(created.members, ['shop-new-1 (writer)', 'shop-new-2', 'shop-new-3'])
  assert.is(created.settings.DBSubnetGroupName, 'shop-new-subnets')
  assert.is(created.passwordSets, 1)
  assert.ok(whole.masterPasswordIs('shop-new', PASSWORD))
  assert.ok(created.tags.some((t) => t.Key === 'mitosis:run' && t.Value === first.plan.run))
  for (const id of ['shop-new-1', 'shop-new-2', 'shop-new-3']) {
    const i = expected.instances.find((x) => x.id === id)!
    assert.equal([i.status, i.cluster], ['available', 'shop-new'], id)
    assert.ok(i.tags.some((t) => t.Key === 'mitosis:copy-of' && t.Value === id), `${id} tagged`)
  }
  const untouched = createEndState(simulate(fixture('aurora')))
  const others = (s: ReturnType<typeof createEndState>) => ({
    clusters: s.clusters.filter((c) => c.id !== 'shop-new'),
    instances: s.instances.filter((i) => !i.id.startsWith('shop-new-')),
  })
  assert.equal(others(expected), others(untouched), 'the source and the other clusters as they were')

  const kills: Array<{ sends?: number; sleeps?: number }> = [
    ...Array.from({ length: first.plan.steps.length }, (_, k) => ({ sends: k })),
    ...[1, 2, 5, 10, 20, 40, 60].map((sleeps) => ({ sleeps })),
  ]
  for (const kill of kills) {
    const label = kill.sends !== undefined ? `a kill after ${kill.sends} accepted calls` : `a kill at wait ${kill.sleeps}`
    const sim = simulate(fixture('aurora'))
    const outcome = await runCreate(sim, CREATE, { ...killable(sim, kill), secrets: SECRETS }).then(
      (r) => (E.isRight(r.result) ? 'finished' : renderApplyFailure(r.result.left, r.plan)),
      (e: unknown) => (e instanceof Killed ? 'killed' : String(e)),
    )
    if (kill.sleeps !== undefined && outcome === 'finished') continue
    assert.is(outcome, 'killed', label)
    const again = await runCreate(sim, CREATE, { secrets: SECRETS })
    assert.ok(E.isRight(again.result), `re-run after ${label}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
    assert.equal(again.plan, first.plan, `${label}: the re-run plans the same run`)
    assert.equal(createEndState(sim), expected, `end state after ${label}`)
    // nothing made twice: every call RDS took, over both runs, is one of the uninterrupted run's
    assert.equal(accepted(sim), once, `${label}: each step accepted once`)
    assert.ok(sim.masterPasswordIs('shop-new', PASSWORD), `${label}: the password`)
  }
})

test('apply without the secret: stops before the cluster is created, naming the secret only', async () => {
  const env = fixture('aurora')
  const sim = simulate(env)
  const p = planned(env)
  const r = await applyPlan(p, { rds: sim, clock: sim.clock, shell: processShell, random: () => 0.5 }, OPTIONS, () => undefined)
  assert.ok(E.isLeft(r))
  if (E.isLeft(r)) assert.match(renderApplyFailure(r.left, p), /^step 1: needs the secret "master-password"/)
  assert.not.ok(sim.calls().some((x) => x.action === 'CreateDBCluster'))
})

const CHANGELOG = `databaseChangeLog:
  - changeSet:
      id: products
      author: mitosis-test
      changes:
        - createTable:
            tableName: products
            columns:
              - column: { name: id, type: bigint, constraints: { primaryKey: true } }
              - column: { name: title, type: varchar(100) }
`

const available = serverTestsAvailable(test, liquibaseUnavailable(postgresUnavailable()), {
  needs: 'PostgreSQL and Java',
  skipping: 'the create schema step against PostgreSQL',
  skipped: 'create: schema step against PostgreSQL',
})

if (available) {
  // its own suite, so that the server is started (in its before hook) for this test only
  const schema = suite('create: schema step against PostgreSQL')
  const fx = serverFixture(schema, {
    prefix: 'mitosis-create-',
    files: { 'changelog.yaml': CHANGELOG },
    start: () => startPostgres({ password: PASSWORD }),
  })
  schema('apply with a changelog: RunLiquibase runs on the new writer endpoint (a real PostgreSQL) with the secret', async () => {
    const { dir, server: pg } = fx
    const env = fixture('aurora')
    const sim = simulate(env)
    const p = planned(env, { changelog: join(dir, 'changelog.yaml'), databaseName: pg.database, masterUsername: pg.username })
    const events: ApplyEvent[] = []
    const endpoints: string[] = []
    const r = await applyPlan(
      p,
      {
        rds: sim,
        clock: sim.clock,
        shell: processShell,
        random: () => 0.5,
        resolveEndpoint: (e) => {
          endpoints.push(`${e.host}:${e.port}`)
          return { host: pg.host, port: pg.port }
        },
      },
      { ...OPTIONS, secrets: { [MASTER_PASSWORD_SECRET]: PASSWORD } },
      (e) => events.push(e),
    )
    assert.ok(E.isRight(r), E.isLeft(r) ? renderApplyFailure(r.left, p) : '')
    assert.equal(endpoints, [`${sim.environment().clusters!.find((c) => c.DBClusterIdentifier === 'shop-new')!.Endpoint}:5432`])
    const tables = (await pg.psql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).trim().split('\n')
    assert.equal(tables, ['databasechangelog', 'databasechangeloglock', 'products'])
    const last = events.filter((e) => e.type === 'step-done').at(-1)
    assert.equal(last !== undefined && last.type === 'step-done' ? [last.op, last.id] : [], ['RunLiquibase', 'shop-new'])
    assert.ok(events.some((e) => e.type === 'hook-output' && e.line.includes('products')))
    assert.not.ok(JSON.stringify(events).includes(PASSWORD))
    assert.not.ok(JSON.stringify(sim.calls()).includes(PASSWORD))
    // a wrong password: one line, and the password is not in it
    const wrong = `W${PASSWORD}`
    const sim2 = simulate(env)
    const failed = await applyPlan(
      p,
      { rds: sim2, clock: sim2.clock, shell: processShell, random: () => 0.5, resolveEndpoint: () => ({ host: pg.host, port: pg.port }) },
      { ...OPTIONS, secrets: { [MASTER_PASSWORD_SECRET]: wrong } },
      () => undefined,
    )
    assert.ok(E.isLeft(failed))
    if (E.isLeft(failed)) {
      const message = renderApplyFailure(failed.left, p)
      assert.match(message, /^step 3: the schema step on shop-new failed: liquibase update failed/)
      assert.not.ok(message.includes(wrong))
    }
  })
  schema.run()
}

test('CLI: --plan prints the plan without the password; apply with --simulate; a missing changelog is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-create-cli-'))
  try {
    const pw = join(dir, 'pw.txt')
    writeFileSync(pw, `${PASSWORD}\n`)
    const base = ['create', '--simulate', fixturePath('aurora'), '--like', 'shop-prod', '--target', 'shop-new', '--db-password-file', pw]
    const plan = await cli([...base, '--instances', '2', '--plan'], cleanEnv())
    assert.is(plan.code, 0, show(plan))
    assert.match(plan.stdout, /^Plan: create shop-new like shop-prod in us-east-1, 3 steps/)
    assert.not.ok(plan.stdout.includes(PASSWORD) || plan.stderr.includes(PASSWORD))
    const json = await cli([...base, '--plan', '--json'], cleanEnv())
    assert.is(json.code, 0, show(json))
    assert.equal((JSON.parse(json.stdout) as Plan).steps.map((s) => s.op), ['CreateDBCluster', 'CreateDBInstance'])
    assert.not.ok(json.stdout.includes(PASSWORD))
    const applied = await cli([...base, '--yes', '--poll-interval', '30'], cleanEnv())
    assert.is(applied.code, 0, show(applied))
    assert.match(applied.stdout, /Created shop-new like shop-prod: 2 steps/)
    assert.not.ok(applied.stdout.includes(PASSWORD) || applied.stderr.includes(PASSWORD))
    const missing = await cli([...base, '--changelog', join(dir, 'nope.yaml'), '--plan'], cleanEnv())
    assert.is(missing.code, 1, show(missing))
    assert.is(missing.stderr.trim(), `Error: --changelog ${join(dir, 'nope.yaml')}: no such file`)
    const taken = await cli(['create', '--simulate', fixturePath('aurora'), '--like', 'shop-prod', '--target', 'shop-staging', '--manage-master-password', '--plan'], cleanEnv())
    assert.is(taken.code, 1, show(taken))
    assert.is(taken.stderr.trim(), 'Error: shop-staging: the name is taken (a DB cluster, available); choose another --target')
    // a fixture (describe-style) holding somebody's subnet group shop-new-subnets, with its tags
    const foreign = join(dir, 'foreign-group.json')
    const file = JSON.parse(readFileSync(fixturePath('aurora'), 'utf8')) as Record<string, unknown>
    file['DBSubnetGroups'] = [
      {
        DBSubnetGroupName: 'shop-new-subnets',
        DBSubnetGroupDescription: 'payments team',
        VpcId: 'vpc-0payments',
        SubnetGroupStatus: 'Complete',
        Subnets: [
          { SubnetIdentifier: 'subnet-0pay1', SubnetAvailabilityZone: { Name: 'us-east-1a' }, SubnetStatus: 'Active' },
          { SubnetIdentifier: 'subnet-0pay2', SubnetAvailabilityZone: { Name: 'us-east-1b' }, SubnetStatus: 'Active' },
        ],
        TagList: [{ Key: 'team', Value: 'payments' }],
      },
    ]
    writeFileSync(foreign, JSON.stringify(file))
    const withSubnets = ['create', '--simulate', foreign, '--like', 'shop-prod', '--target', 'shop-new', '--subnets', 'subnet-aaa,subnet-bbb', '--db-password-file', pw]
    for (const mode of [['--plan'], ['--yes', '--poll-interval', '30']]) {
      const refused = await cli([...withSubnets, ...mode], cleanEnv())
      assert.is(refused.code, 1, show(refused))
      assert.is(refused.stderr.trim(), `Error: ${GROUP_TAKEN}`, show(refused))
      assert.not.match(refused.stdout, /Created|Apply\?/, show(refused))
    }
    // the source's subnet group (the default) takes no new name: planned as ever
    const sourceGroup = await cli(['create', '--simulate', foreign, '--like', 'shop-prod', '--target', 'shop-new', '--db-password-file', pw, '--plan'], cleanEnv())
    assert.is(sourceGroup.code, 0, show(sourceGroup))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
