import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { Plan } from '../../src/plan/plan.js'
import { iamPolicy } from '../../src/plan/iam.js'
import { renderJson, renderText } from '../../src/plan/render/text.js'
import { renderMermaid } from '../../src/plan/render/mermaid.js'
import { planClusterClone } from '../../src/plan/clone/clone.js'
import { planCreate } from '../../src/plan/create.js'
import { planProgress } from '../../src/plan/progress.js'
import { fixture, plan } from '../support/fixtures.js'
import { renderProblems } from '../../src/plan/problems.js'

const demo = fixture('demo')
const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })

test('the text plan has one line per step: number, operation, identifier, waits, parameters', () => {
  const lines = renderText(p).split('\n').filter((l) => /^\s*\d+\s/.test(l))
  assert.is(lines.length, p.steps.length)
  assert.match(lines[1]!, /^ 2 {2}PromoteReadReplica +temp-mitosis-demo +after 1 +BackupRetentionPeriod=1 PreferredBackupWindow=03:00-03:30$/)
  assert.match(lines[5]!, /^ 6 {2}AddTagsToResource +mitosis-demo-replica +after 3,5 +Tags=mitosis:run:r[0-9a-f]{8},mitosis:renamed-from:mitosis-demo-replica$/)
  assert.match(lines[8]!, /^ 9 {2}ModifyDBInstance \(rename\) +mitosis-demo +after 8 +→ old-mitosis-demo$/)
  assert.match(lines[11]!, /^12 {2}RunCommand +mitosis-demo +after 10,11 +\.\/restart\.sh$/)
  assert.match(lines[0]!, /now +from mitosis-prod DBInstanceClass=db\.t4g\.medium/)
  assert.match(renderText(p), /^Plan: clone mitosis-prod into mitosis-demo in us-east-1, 16 steps\n/)
})

test('the text plan ends with what it deletes: the demo\'s old tree, deletion protection and final snapshot of each', () => {
  const text = renderText(p)
  assert.ok(
    text.endsWith(
      [
        '16  DeleteDBInstance             old-mitosis-demo           after 14,15  SkipFinalSnapshot=true',
        '',
        'Will delete (nothing else is deleted):',
        '  old-mitosis-demo (was mitosis-demo): DeletionProtection on, no final snapshot',
        '  old-mitosis-demo-replica (was mitosis-demo-replica): DeletionProtection off, no final snapshot',
        '',
      ].join('\n'),
    ),
    text,
  )
})

test('an Aurora plan with --final-snapshot lists the old cluster first, with the snapshot it leaves, then its instances', () => {
  const aurora = fixture('aurora')
  const c = planClusterClone(aurora, { source: 'shop-prod', target: 'shop-staging', finalSnapshot: true })
  if (E.isLeft(c)) throw new Error(renderProblems(c.left))
  const tail = renderText(c.right).split('\n').slice(-5)
  assert.equal(tail, [
    'Will delete (nothing else is deleted):',
    `  old-shop-staging (DB cluster, was shop-staging): DeletionProtection on, final snapshot shop-staging-final-${c.right.run}`,
    '  old-shop-staging-1 (was shop-staging-1): DeletionProtection off, no final snapshot',
    '  old-shop-staging-2 (was shop-staging-2): DeletionProtection off, no final snapshot',
    '',
  ])
  const without = planClusterClone(aurora, { source: 'shop-prod', target: 'shop-staging' })
  assert.ok(E.isRight(without))
  assert.ok(renderText(without.right).includes('  old-shop-staging (DB cluster, was shop-staging): DeletionProtection on, no final snapshot\n'))
})

test('the deletion list follows the plan itself: a hand-made delete without a rename or a protection step reads as such', () => {
  const dropped = { ...p, steps: p.steps.filter((s) => !(s.op === 'ModifyDBInstance' && s.request.DeletionProtection === false)) }
  assert.ok(renderText(dropped).includes('  old-mitosis-demo (was mitosis-demo): DeletionProtection off, no final snapshot\n'))
  const kept = {
    ...p,
    steps: p.steps.map((s) => (s.op === 'DeleteDBInstance' && s.id === 'old-mitosis-demo' ? { ...s, request: { DBInstanceIdentifier: s.id, FinalDBSnapshotIdentifier: 'mitosis-demo-last' } } : s)),
  }
  assert.ok(renderText(kept).includes('  old-mitosis-demo (was mitosis-demo): DeletionProtection on, final snapshot mitosis-demo-last\n'))
})

test('on a re-run the deletion list marks deletes already done, as the steps are', () => {
  const progress = planProgress(demo, p).map((x, k) => (p.steps[k]!.op === 'DeleteDBInstance' && p.steps[k]!.id === 'old-mitosis-demo-replica' ? { _tag: 'done' as const } : x))
  assert.ok(renderText(p, progress).includes('  old-mitosis-demo-replica (was mitosis-demo-replica): DeletionProtection off, no final snapshot  [done]\n'))
})

test('a create plan deletes nothing, and says so', () => {
  const c = planCreate(fixture('aurora'), { like: 'shop-prod', target: 'shop-new', password: 'secret' })
  if (E.isLeft(c)) throw new Error(renderProblems(c.left))
  assert.ok(renderText(c.right).endsWith('\n\nWill delete: nothing.\n'), renderText(c.right))
})

test('the JSON plan decodes with the Plan codec and round-trips', () => {
  const json = JSON.parse(renderJson(p)) as unknown
  const decoded = Plan.decode(json)
  assert.ok(E.isRight(decoded))
  assert.equal(decoded.right, p)
  assert.equal(Object.keys(json as object), ['version', 'kind', 'region', 'run', 'source', 'target', 'steps'])
  assert.equal(Object.keys(p.steps[0]!).sort(), ['after', 'id', 'n', 'op', 'phase', 'request'])
})

test('a version-1 plan saved before plans said their kind decodes with the kind its steps show', () => {
  const { kind: _kind, ...old } = p
  const decoded = Plan.decode(JSON.parse(JSON.stringify(old)))
  assert.ok(E.isRight(decoded))
  assert.equal(decoded.right, p)
  assert.equal(Object.keys(decoded.right), ['version', 'kind', 'region', 'run', 'source', 'target', 'steps'])
  const c = planCreate(fixture('aurora'), { like: 'shop-prod', target: 'shop-new', password: 'secret' })
  if (E.isLeft(c)) throw new Error(renderProblems(c.left))
  const { kind: _ck, ...oldCreate } = c.right
  const created = Plan.decode(JSON.parse(JSON.stringify(oldCreate)))
  assert.ok(E.isRight(created) && created.right.kind === 'create')
})

test('the Mermaid picture shows both trees before and the target tree with the source\'s data after', () => {
  const m = renderMermaid(demo, p)
  assert.match(m, /^flowchart LR\n/)
  assert.match(m, 'subgraph before["before"]')
  assert.match(m, 'before_mitosis_demo --> before_mitosis_demo_replica')
  assert.match(m, 'after_mitosis_demo["mitosis-demo<br/>db.t4g.medium<br/>data of mitosis-prod"]')
  assert.match(m, 'after_mitosis_demo --> after_mitosis_demo_replica')
  assert.match(m, 'before_mitosis_prod -. "clone (16 steps)" .-> after_mitosis_demo')
  assert.not.match(m, 'temp-')
  assert.not.match(m, 'old-')
})

test('the IAM policy: no wildcard action, deletes only on old-, the source only as a replica origin', () => {
  const policy = iamPolicy(demo, p)
  const arn = (id: string) => `arn:aws:rds:us-east-1:123456789012:db:${id}`
  for (const s of policy.Statement) for (const a of s.Action) assert.not.match(a, '*')
  const deletes = policy.Statement.filter((s) => s.Action.includes('rds:DeleteDBInstance'))
  assert.equal(deletes.flatMap((s) => s.Resource), [arn('old-mitosis-demo'), arn('old-mitosis-demo-replica')])
  const onSource = policy.Statement.filter((s) => s.Resource.includes(arn('mitosis-prod')))
  assert.equal(onSource.flatMap((s) => s.Action), ['rds:CreateDBInstanceReadReplica'])
  const modify = policy.Statement.find((s) => s.Action.includes('rds:ModifyDBInstance'))!
  assert.ok(modify.Resource.includes(arn('mitosis-demo')))
  assert.ok(modify.Resource.includes('arn:aws:rds:us-east-1:123456789012:pg:mitosis-demo-pg16'))
  assert.ok(policy.Statement.some((s) => s.Action.includes('rds:AddTagsToResource')))
})

test.run()
