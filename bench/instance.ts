/**
 * The DB-instance clone: a target tree of a root with three replicas, one of which has its own
 * replica, cloned from mitosis-prod with a restart hook.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { DBInstance, Environment } from '../src/plan/domain.js'
import { criticalPathMs } from '../src/plan/critical-path.js'
import { planClone } from '../src/plan/clone/clone.js'
import { renderProblems } from '../src/plan/problems.js'
import { AWS_DURATIONS } from '../src/plan/rds-facts.js'
import { loadFixture } from '../src/sim/fixture.js'
import { callsByAction, check, instanceNames, maxPerTick, measure, min, oneAtATime, POLL_MS, row } from './measure.js'

/** The demo's environment with the target tree grown to root + 3 replicas, one with a replica. */
const benchEnvironment = (): Environment => {
  const demo = loadFixture(new URL('../../fixtures/demo.json', import.meta.url).pathname)
  if (E.isLeft(demo)) throw new Error(demo.left)
  const env = demo.right
  const template = env.instances.find((i) => i.DBInstanceIdentifier === 'mitosis-demo-replica')!
  const replica = (id: string, parent: string, children: string[]): DBInstance => ({
    ...template,
    DBInstanceIdentifier: id,
    DBInstanceArn: template.DBInstanceArn!.replace('mitosis-demo-replica', id),
    DbiResourceId: `db-BENCH${id.toUpperCase().replace(/-/g, '')}`,
    ReadReplicaSourceDBInstanceIdentifier: parent,
    ReadReplicaDBInstanceIdentifiers: children,
    BackupRetentionPeriod: children.length > 0 ? 1 : 0,
  })
  const instances = env.instances
    .filter((i) => i.DBInstanceIdentifier !== 'mitosis-demo-replica')
    .map((i) => (i.DBInstanceIdentifier === 'mitosis-demo' ? { ...i, ReadReplicaDBInstanceIdentifiers: ['mitosis-demo-r1', 'mitosis-demo-r2', 'mitosis-demo-r3'] } : i))
  instances.push(
    replica('mitosis-demo-r1', 'mitosis-demo', ['mitosis-demo-r1-r1']),
    replica('mitosis-demo-r2', 'mitosis-demo', []),
    replica('mitosis-demo-r3', 'mitosis-demo', []),
    replica('mitosis-demo-r1-r1', 'mitosis-demo-r1', []),
  )
  const tags = { ...env.tags }
  for (const id of ['mitosis-demo-r1', 'mitosis-demo-r2', 'mitosis-demo-r3', 'mitosis-demo-r1-r1']) tags[id] = env.tags['mitosis-demo-replica'] ?? []
  return { ...env, instances, tags }
}

export const instanceClone = async (): Promise<ReadonlyArray<string>> => {
  const env = benchEnvironment()
  const planned = planClone(env, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })
  if (E.isLeft(planned)) throw new Error(renderProblems(planned.left))
  const plan = planned.right
  const names = instanceNames(['mitosis-demo', 'mitosis-demo-r1', 'mitosis-demo-r2', 'mitosis-demo-r3', 'mitosis-demo-r1-r1'])
  const critical = criticalPathMs(plan.steps)
  const concurrent = await measure(env, plan, names)
  const sequential = await measure(env, oneAtATime(plan), names)
  const perTick = maxPerTick(concurrent.calls, 'DescribeDBInstances')
  const renameBound = 2 * AWS_DURATIONS.rename + POLL_MS * 1.1

  return [
    `mitosis benchmark: clone into a root with 3 replicas (one with its own replica); ${plan.steps.length} steps`,
    `simulated AWS durations: create replica ${min(AWS_DURATIONS.createReplica)}, promote ${min(AWS_DURATIONS.promote)}, modify ${min(AWS_DURATIONS.modify)}, rename ${min(AWS_DURATIONS.rename)}, delete ${min(AWS_DURATIONS.delete)}; poll every ${POLL_MS / 1000} s`,
    '',
    row('makespan (concurrent)', min(concurrent.makespanMs)),
    row('critical path', min(critical)),
    row('makespan / critical path', `${(concurrent.makespanMs / critical).toFixed(3)}   target <= 1.05: ${check(concurrent.makespanMs <= 1.05 * critical)}`),
    row('one step at a time', min(sequential.makespanMs)),
    row('speed-up over one at a time', `${(sequential.makespanMs / concurrent.makespanMs).toFixed(2)}x   target >= 2x: ${check(sequential.makespanMs >= 2 * concurrent.makespanMs)}`),
    row('longest a target name was down', `${min(concurrent.longestDownMs)}   bound (rename away + rename back + a poll) ${min(renameBound)}: ${check(concurrent.longestDownMs <= renameBound)}`),
    row('API calls', callsByAction(concurrent.calls)),
    row('describe calls per poll tick', `at most ${perTick}, ${concurrent.polls} polls   target 1: ${check(perTick === 1)}`),
  ]
}
