/**
 * Saved create plans (`mitosis create … --plan --out FILE`, then `mitosis apply FILE`), as saved clone
 * plans work: applied exactly as shown, refused when the cluster it is like has changed, when a name it
 * takes is taken meanwhile, when it was edited into something that is not a create, or when the password
 * it names is not given again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { planCreate } from '../../src/plan/create.js'
import { checkPlan } from '../../src/plan/predict/end-state.js'
import type { Plan } from '../../src/plan/plan.js'
import { cleanEnv, cli, show, type Run } from '../support/cli.js'
import { fixture, fixturePath } from '../support/fixtures.js'
import { renderProblems } from '../../src/plan/problems.js'

const PASSWORD = `Saved-${process.pid}-pw!`
const dir = mkdtempSync(join(tmpdir(), 'mitosis-create-saved-'))
const pw = join(dir, 'pw.txt')
writeFileSync(pw, `${PASSWORD}\n`)
const file = join(dir, 'create.json')
const AURORA = fixturePath('aurora')

/** A copy of the aurora fixture with a change, as a file for --simulate. */
const changedFixture = (name: string, change: (f: Record<string, unknown[]>) => void): string => {
  const f = JSON.parse(readFileSync(AURORA, 'utf8')) as Record<string, unknown[]>
  change(f)
  const path = join(dir, `${name}.json`)
  writeFileSync(path, JSON.stringify(f))
  return path
}
const refused = (r: Run, message: RegExp): void => {
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr.trim(), message, show(r))
  assert.is(r.stderr.trim().split('\n').length, 1, show(r))
  assert.not.ok(r.stdout.includes('Apply?') || r.stdout.includes('Created'), show(r))
}

test('checkPlan on a create plan: a fresh create plan passes; the run\'s own cluster is no conflict, somebody else\'s is', () => {
  const env = fixture('aurora')
  const p = planCreate(env, { like: 'shop-prod', target: 'shop-new', instances: 2, password: 'secret' })
  if (E.isLeft(p)) throw new Error(renderProblems(p.left))
  assert.equal(checkPlan(env, p.right), [])
  const taken = { ...env, instances: [...env.instances, { ...env.instances[0]!, DBInstanceIdentifier: 'shop-new-2', TagList: [] }] }
  assert.equal(checkPlan(taken, p.right), ['shop-new-2: the name is taken (a DB instance, available); choose another --target'])
  const edited: Plan = { ...p.right, steps: [...p.right.steps, { n: p.right.steps.length + 1, op: 'DeleteDBCluster', id: 'shop-staging', request: { DBClusterIdentifier: 'shop-staging', SkipFinalSnapshot: true }, after: [], phase: 'create' }] }
  assert.ok(checkPlan(env, edited).some((v) => v.includes('a create plan only creates; DeleteDBCluster does not belong in it')))
  const elsewhere: Plan = { ...p.right, steps: p.right.steps.map((s) => (s.op === 'CreateDBInstance' && s.n === 3 ? { ...s, request: { ...s.request, DBClusterIdentifier: 'shop-staging' } } : s)) }
  assert.ok(checkPlan(env, elsewhere).some((v) => v.includes('is for shop-staging, not the new cluster shop-new')), checkPlan(env, elsewhere).join('\n'))
})

test("checkPlan on a create plan: the plan's subnet group must be free or this run's own (its mitosis:run tag)", () => {
  const env = fixture('aurora')
  const p = planCreate(env, { like: 'shop-prod', target: 'shop-new', subnets: ['subnet-aaa', 'subnet-bbb'], password: 'secret' })
  if (E.isLeft(p)) throw new Error(renderProblems(p.left))
  const group = (TagList: Array<{ Key: string; Value: string }>) => ({ ...env, subnetGroups: [{ DBSubnetGroupName: 'shop-new-subnets', VpcId: 'vpc-0payments', TagList }] })
  assert.equal(checkPlan(group([{ Key: 'team', Value: 'payments' }]), p.right), ['shop-new-subnets: the name is taken (a DB subnet group); choose another --target'])
  assert.equal(checkPlan(group([{ Key: 'mitosis:run', Value: p.right.run }]), p.right), [])
  const renamed: Plan = { ...p.right, steps: p.right.steps.map((s) => (s.op === 'CreateDBSubnetGroup' ? { ...s, request: { ...s.request, DBSubnetGroupName: 'prod-db-subnets' } } : s)) }
  assert.ok(checkPlan(env, renamed).includes('step 1 (CreateDBSubnetGroup shop-new-subnets): the request names prod-db-subnets'), checkPlan(env, renamed).join('\n'))
})

test('create --plan --out saves the plan and says how to apply it; apply FILE creates exactly that, with the password given again', async () => {
  const saved = await cli(['create', '--simulate', AURORA, '--like', 'shop-prod', '--target', 'shop-new', '--instances', '2', '--db-password-file', pw, '--plan', '--out', file], cleanEnv())
  assert.is(saved.code, 0, show(saved))
  assert.match(saved.stdout, new RegExp(`Saved to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; apply exactly this plan with: mitosis apply \\S+ --db-password-file FILE \\(or --db-password-stdin\\)\\n$`))
  assert.not.ok(readFileSync(file, 'utf8').includes(PASSWORD), 'the saved plan holds the password')
  const applied = await cli(['apply', file, '--simulate', AURORA, '--yes', '--db-password-file', pw], cleanEnv())
  assert.is(applied.code, 0, show(applied))
  assert.match(applied.stdout, /Created shop-new like shop-prod: 3 steps/)
  assert.not.ok(applied.stdout.includes(PASSWORD) || applied.stderr.includes(PASSWORD))
})

test('apply FILE refuses, in one line and before any change: no password, a changed source, a name taken meanwhile, an edited plan', async () => {
  refused(await cli(['apply', file, '--simulate', AURORA, '--yes'], cleanEnv()), /^Error: step 1: needs the secret "master-password" \(the master password: --db-password-stdin or --db-password-file\), which was not given$/)

  const stale = changedFixture('stale', (f) => {
    const c = (f['DBClusters'] as Array<Record<string, unknown>>).find((x) => x['DBClusterIdentifier'] === 'shop-prod')!
    c['BackupRetentionPeriod'] = 3
  })
  refused(await cli(['apply', file, '--simulate', stale, '--yes', '--db-password-file', pw], cleanEnv()), /^Error: plan is stale: cluster shop-prod: BackupRetentionPeriod 14 → 3; make a new plan$/)

  const taken = changedFixture('taken', (f) => {
    const i = (f['DBInstances'] as Array<Record<string, unknown>>)[0]!
    f['DBInstances']!.push({ ...i, DBInstanceIdentifier: 'shop-new-1', DBClusterIdentifier: undefined, DbiResourceId: 'db-SOMEONEELSE', DBInstanceArn: undefined, TagList: [] })
  })
  refused(await cli(['apply', file, '--simulate', taken, '--yes', '--db-password-file', pw], cleanEnv()), /^Error: .*create\.json: the plan failed its safety check: shop-new-1: the name is taken \(a DB instance, available\); choose another --target$/)

  // a plan with a new subnet group, and somebody's group of that name made meanwhile
  const withGroup = join(dir, 'with-group.json')
  const subnets = ['--subnets', 'subnet-aaa,subnet-bbb']
  assert.is((await cli(['create', '--simulate', AURORA, '--like', 'shop-prod', '--target', 'shop-new', ...subnets, '--db-password-file', pw, '--plan', '--out', withGroup], cleanEnv())).code, 0)
  const groupTaken = changedFixture('group-taken', (f) => {
    f['DBSubnetGroups'] = [{ DBSubnetGroupName: 'shop-new-subnets', VpcId: 'vpc-0payments', SubnetGroupStatus: 'Complete', TagList: [{ Key: 'team', Value: 'payments' }] }]
  })
  refused(
    await cli(['apply', withGroup, '--simulate', groupTaken, '--yes', '--db-password-file', pw], cleanEnv()),
    /^Error: .*with-group\.json: the plan failed its safety check: shop-new-subnets: the name is taken \(a DB subnet group\); choose another --target$/,
  )

  // a password for a plan that sets none would be dropped without a word: refused instead
  const plain = join(dir, 'plain.json')
  assert.is((await cli(['--simulate', AURORA, '--source', 'shop-prod', '--target', 'shop-staging', '--plan', '--out', plain], cleanEnv())).code, 0)
  refused(
    await cli(['apply', plain, '--simulate', AURORA, '--yes', '--db-password-file', pw], cleanEnv()),
    /^Error: .*plain\.json sets no master password \(it was planned without --db-password-stdin or --db-password-file\); drop the password flag or make a new plan with it$/,
  )

  const saved = JSON.parse(readFileSync(file, 'utf8')) as { plan: Plan }
  const edited = join(dir, 'edited.json')
  saved.plan.steps.push({ n: saved.plan.steps.length + 1, op: 'DeleteDBCluster', id: 'shop-staging', request: { DBClusterIdentifier: 'shop-staging', SkipFinalSnapshot: true }, after: [], phase: 'create' })
  writeFileSync(edited, JSON.stringify(saved))
  refused(await cli(['apply', edited, '--simulate', AURORA, '--yes', '--db-password-file', pw], cleanEnv()), /the plan failed its safety check: .*a create plan only creates; DeleteDBCluster does not belong in it/)
})

test.after(() => rmSync(dir, { recursive: true, force: true }))

test.run()
