/**
 * Plan mode against a real RDS API: the CLI (a child process) talks to a private moto_server through the recording
 * proxy of test/support/moto.ts. moto proves the wire: the same plan as the simulator's from what RDS answers, every
 * page read, and not one mutating request sent. moto's own gaps are listed in test/support/moto.ts and
 * /work/shared/reference/test-environment.md; only what moto round-trips faithfully is compared.
 */
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CreateDBInstanceCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds'
import { Plan, type Step } from '../../src/plan/plan.js'
import { cleanEnv, cli, planOf, show, succeeded } from '../support/cli.js'
import { fixturePath, outline } from '../support/fixtures.js'
import { mutatingActions, seedFromFixture, type Fixture, type Moto } from '../support/moto.js'
import { motoSuite, REGION, sdk } from '../support/moto-e2e.js'

// ---------------------------------------------------------------------------------------------------------------
// moto: started by the first test that needs it, stopped after the last (also when tests fail); the CLI gets an
// empty HOME, so no ~/.aws of the machine's plays a part

const e2e = motoSuite({ name: 'moto-test' })
const DEMO: ReadonlyArray<string> = ['--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan']
const demoFixture = JSON.parse(readFileSync(fixturePath('demo'), 'utf8')) as Fixture
let seeded: 'demo' | 'other' | undefined

/** moto holding exactly the demo fixture (seeded once, re-seeded after a test that changed the world). */
const demoWorld = async (): Promise<Moto> => {
  const moto = await e2e.moto()
  if (seeded !== 'demo') {
    seeded = undefined
    await moto.reset()
    await seedFromFixture(moto.endpoint, demoFixture)
    seeded = 'demo'
  }
  return moto
}

/** The security groups moto reports active on an instance (moto marks every group active, whatever was sent). */
const activeGroupsInMoto = async (moto: Moto, id: string): Promise<string[]> => {
  const rds = sdk(moto)
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))
    return (out.DBInstances?.[0]?.VpcSecurityGroups ?? []).filter((g) => g.Status === 'active').map((g) => g.VpcSecurityGroupId!)
  } finally {
    rds.destroy()
  }
}

const count = (moto: Moto, action: string): number => moto.requests().filter((r) => r.action === action).length

/** The demo plan from the fixture on the embedded simulator, through the same CLI. */
let simulated: Promise<Plan> | undefined
const simulatedDemoPlan = (): Promise<Plan> =>
  (simulated ??= cli(['--simulate', 'fixtures/demo.json', ...DEMO, '--json'], cleanEnv()).then(planOf))

/** Fields of a create request moto round-trips as AWS would (see the notes at the top of support/moto.ts). */
const CREATE_FIELDS = ['SourceDBInstanceIdentifier', 'DBInstanceClass', 'DBSubnetGroupName', 'VpcSecurityGroupIds', 'Tags'] as const
const pick = (s: Step, keys: ReadonlyArray<string>): Record<string, unknown> => {
  const r = s.request as Record<string, unknown>
  return Object.fromEntries(keys.map((k) => [k, r[k]]))
}

// ---------------------------------------------------------------------------------------------------------------

e2e.tests('moto tests', () => {
  test('--plan --json against moto: the simulator\'s plan, from DescribeDBInstances and ListTagsForResource, nothing mutated', async () => {
    const moto = await demoWorld()
    const expectedGroups = new Map<string, string[]>()
    for (const id of ['mitosis-demo', 'mitosis-demo-replica']) expectedGroups.set(`temp-${id}`, await activeGroupsInMoto(moto, id))
    const simulated = await simulatedDemoPlan()
    moto.clearRequests()

    const p = planOf(await e2e.cli([...DEMO, '--json'], e2e.env(moto)))
    // the run id is derived from the target's DbiResourceId, which moto makes up: compare with it in place
    assert.match(p.run, /^r[0-9a-f]{8}$/)
    const sim = JSON.parse(JSON.stringify(simulated).split(simulated.run).join(p.run)) as Plan

    assert.is(p.source, 'mitosis-prod')
    assert.is(p.target, 'mitosis-demo')
    assert.is(p.region, REGION)
    assert.equal(outline(p), outline(sim))
    assert.equal(
      p.steps.map((s) => [s.n, s.op, s.id, s.phase, s.after]),
      sim.steps.map((s) => [s.n, s.op, s.id, s.phase, s.after]),
    )
    for (const [k, m] of p.steps.entries()) {
      const s = sim.steps[k]!
      if (m.op === 'CreateDBInstanceReadReplica') {
        const want = { ...pick(s, CREATE_FIELDS), VpcSecurityGroupIds: expectedGroups.get(m.id) }
        assert.equal(pick(m, CREATE_FIELDS), want, `step ${m.n} ${m.op} ${m.id}`)
      } else {
        // renames, deletes, the delete-protection switch, promotion and the copy-phase modify: exactly the same
        assert.equal(m.request, s.request, `step ${m.n} ${m.op} ${m.id}`)
      }
    }
    // moto reports the fixture's inactive group as active; apart from that, the groups are the simulator's
    const inactive = new Set(demoFixture.DBInstances.flatMap((i) => (i.VpcSecurityGroups ?? []).filter((g) => g.Status !== 'active').map((g) => g.VpcSecurityGroupId)))
    for (const [k, m] of p.steps.entries()) {
      if (m.op !== 'CreateDBInstanceReadReplica') continue
      const groups = m.request.VpcSecurityGroupIds ?? []
      assert.equal(groups.filter((g) => !inactive.has(g)), (sim.steps[k]!.request as { VpcSecurityGroupIds?: string[] }).VpcSecurityGroupIds)
    }

    const actions = moto.requests().map((r) => r.action)
    assert.ok(actions.includes('DescribeDBInstances'), actions.join(' '))
    assert.ok(actions.includes('ListTagsForResource'), actions.join(' '))
    assert.equal(mutatingActions(moto.requests()), [])
  })

  test('--plan (text) against moto', async () => {
    const moto = await demoWorld()
    moto.clearRequests()
    const r = await e2e.cli(DEMO, e2e.env(moto))
    succeeded(r)
    assert.match(r.stdout, /^Plan: clone mitosis-prod into mitosis-demo in us-east-1, 14 steps\n/)
    assert.match(r.stdout, /^ 1 {2}CreateDBInstanceReadReplica +temp-mitosis-demo +now +from mitosis-prod /m)
    assert.match(r.stdout, /ModifyDBInstance \(rename\) +mitosis-demo +after [\d,]+ +→ old-mitosis-demo$/m)
    assert.equal(mutatingActions(moto.requests()), [])
  })

  test('a missing source against moto: one line, no mutating request', async () => {
    const moto = await demoWorld()
    moto.clearRequests()
    const r = await e2e.cli(['--source', 'mitosis-nope', '--target', 'mitosis-demo', '--plan'], e2e.env(moto))
    assert.ok(r.code !== null && r.code !== 0, show(r))
    assert.is(r.stdout, '', show(r))
    assert.is(r.stderr, 'Error: mitosis-nope: no such DB instance in us-east-1\n', show(r))
    assert.ok(count(moto, 'DescribeDBInstances') >= 1, 'the CLI should have looked')
    assert.equal(mutatingActions(moto.requests()), [])
  })

  test('--source and --target swapped against moto: exit 2, one line naming production, no mutating request', async () => {
    const moto = await demoWorld()
    moto.clearRequests()
    const r = await e2e.cli(['--source', 'mitosis-demo', '--target', 'mitosis-prod', '--yes'], e2e.env(moto))
    assert.is(r.code, 2, show(r))
    assert.is(r.stdout, '', show(r))
    assert.is(
      r.stderr,
      'Error: mitosis-prod: is tagged environment=production; refusing to replace and delete a production database (is --target right? --allow-production-target overrides)\n',
      show(r),
    )
    // the tags came from RDS (ListTagsForResource on the target tree), and nothing was changed
    assert.ok(moto.requests().some((q) => q.action === 'ListTagsForResource' && q.params['ResourceName']?.endsWith(':db:mitosis-prod') === true), show(r))
    assert.equal(mutatingActions(moto.requests()), [])
  })

  test('more than 100 instances: every DescribeDBInstances page is read and the target is found', async () => {
    const moto = await e2e.moto()
    seeded = 'other'
    await moto.reset()
    const FILLERS = 105
    const rds = sdk(moto)
    try {
      // created before the demo, so the demo's instances come after the first page of 100
      for (let k = 0; k < FILLERS; k += 15) {
        await Promise.all(
          Array.from({ length: Math.min(15, FILLERS - k) }, (_, j) =>
            rds.send(
              new CreateDBInstanceCommand({
                DBInstanceIdentifier: `filler-${String(k + j).padStart(3, '0')}`,
                DBInstanceClass: 'db.t3.micro',
                Engine: 'postgres',
                AllocatedStorage: 20,
                MasterUsername: 'filler',
                MasterUserPassword: 'not-a-real-secret-1',
              }),
            ),
          ),
        )
      }
    } finally {
      rds.destroy()
    }
    await seedFromFixture(moto.endpoint, demoFixture)
    const simulated = await simulatedDemoPlan()
    moto.clearRequests()

    const p = planOf(await e2e.cli([...DEMO, '--json'], e2e.env(moto)))
    // the run id is derived from the target's DbiResourceId, which moto makes up: compare with it in place
    assert.match(p.run, /^r[0-9a-f]{8}$/)
    const sim = JSON.parse(JSON.stringify(simulated).split(simulated.run).join(p.run)) as Plan

    assert.equal(outline(p), outline(sim))
    assert.equal(p.steps.map((s) => s.after), sim.steps.map((s) => s.after))
    const describes = count(moto, 'DescribeDBInstances')
    assert.ok(describes > 1, `${FILLERS + demoFixture.DBInstances.length} instances need more than one page of 100; DescribeDBInstances was sent ${describes} time(s)`)
    assert.equal(mutatingActions(moto.requests()), [])
  })
})

test.run()
