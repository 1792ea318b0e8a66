import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { Plan } from '../src/plan/operations.js'
import { iamPolicy } from '../src/plan/iam.js'
import { renderJson, renderMermaid, renderText } from '../src/plan/render.js'
import { fixture, plan } from './support/fixtures.js'

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

test('the JSON plan decodes with the Plan codec and round-trips', () => {
  const json = JSON.parse(renderJson(p)) as unknown
  const decoded = Plan.decode(json)
  assert.ok(E.isRight(decoded))
  assert.equal(decoded.right, p)
  assert.equal(Object.keys(json as object), ['version', 'region', 'run', 'source', 'target', 'steps'])
  assert.equal(Object.keys(p.steps[0]!).sort(), ['after', 'id', 'n', 'op', 'phase', 'request'])
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
