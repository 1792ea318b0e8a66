/**
 * Aurora: a clone of fixtures/aurora.json's shop-prod into shop-staging (two members, a restart
 * hook, a new master password), and a `mitosis create` of shop-new like shop-prod.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Environment } from '../src/plan/domain.js'
import { criticalPathMs } from '../src/plan/critical-path.js'
import { MASTER_PASSWORD_SECRET } from '../src/plan/operations.js'
import { planClusterClone } from '../src/plan/clone/clone.js'
import { planCreate } from '../src/plan/create.js'
import { renderProblems } from '../src/plan/problems.js'
import { AWS_DURATIONS } from '../src/plan/rds-facts.js'
import { loadFixture } from '../src/sim/fixture.js'
import { callsByAction, check, maxPerTick, measure, min, oneAtATime, POLL_MS, row, type Watched } from './measure.js'

/** The new master password, handed to the interpreter as the CLI would (never in the plan). */
const SECRETS = { [MASTER_PASSWORD_SECRET]: 'Bench-Only-Password-42' }

const auroraEnvironment = (): Environment => {
  const env = loadFixture(new URL('../../fixtures/aurora.json', import.meta.url).pathname)
  if (E.isLeft(env)) throw new Error(env.left)
  return env.right
}

const DESCRIBES = ['DescribeDBInstances', 'DescribeDBClusters']

export const auroraClone = async (): Promise<ReadonlyArray<string>> => {
  const env = auroraEnvironment()
  const planned = planClusterClone(env, { source: 'shop-prod', target: 'shop-staging', restart: './restart.sh', password: 'secret' })
  if (E.isLeft(planned)) throw new Error(renderProblems(planned.left))
  const plan = planned.right
  const target = (env.clusters ?? []).find((c) => c.DBClusterIdentifier === 'shop-staging')!
  const members = (target.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier)
  const names: ReadonlyArray<Watched> = [{ kind: 'cluster', id: 'shop-staging' }, ...members.map((id): Watched => ({ kind: 'instance', id }))]
  const critical = criticalPathMs(plan.steps)
  const concurrent = await measure(env, plan, names, { secrets: SECRETS })
  const sequential = await measure(env, oneAtATime(plan), names, { secrets: SECRETS })
  const [instancesPerTick, clustersPerTick] = DESCRIBES.map((a) => maxPerTick(concurrent.calls, a, DESCRIBES)) as [number, number]
  const renameBound = 2 * AWS_DURATIONS.rename + POLL_MS * 1.1
  const down = concurrent.downMs.map((d) => `${d.name.kind === 'cluster' ? 'cluster ' : ''}${d.name.id} ${min(d.ms)}`).join(', ')

  return [
    `mitosis benchmark: Aurora clone of shop-prod into shop-staging (${members.length} members, restart hook, new master password); ${plan.steps.length} steps`,
    `simulated AWS durations: cluster restore ${min(AWS_DURATIONS.clusterRestore)}, create instance ${min(AWS_DURATIONS.createInstance)}, modify ${min(AWS_DURATIONS.modify)}, add role ${min(AWS_DURATIONS.addRole)}, password reset ${min(AWS_DURATIONS.resetMasterCredentials)}, rename ${min(AWS_DURATIONS.rename)}, delete ${min(AWS_DURATIONS.delete)}; poll every ${POLL_MS / 1000} s`,
    '',
    row('makespan (concurrent)', min(concurrent.makespanMs)),
    row('critical path', min(critical)),
    row('makespan / critical path', `${(concurrent.makespanMs / critical).toFixed(3)}   target <= 1.05: ${check(concurrent.makespanMs <= 1.05 * critical)}`),
    row('one step at a time', min(sequential.makespanMs)),
    row('speed-up over one at a time', `${(sequential.makespanMs / concurrent.makespanMs).toFixed(2)}x`),
    row('longest a target name was down', `${down}   bound (rename away + rename back + a poll) ${min(renameBound)}: ${check(concurrent.longestDownMs <= renameBound)}`),
    row('API calls', callsByAction(concurrent.calls)),
    row(
      'describe calls per poll tick',
      `at most ${instancesPerTick} DescribeDBInstances and ${clustersPerTick} DescribeDBClusters, ${concurrent.polls} polls   target 1 of each: ${check(instancesPerTick === 1 && clustersPerTick === 1)}`,
    ),
  ]
}

export const auroraCreate = async (): Promise<ReadonlyArray<string>> => {
  const env = auroraEnvironment()
  const planned = planCreate(env, { like: 'shop-prod', target: 'shop-new', instances: 2, password: 'secret' })
  if (E.isLeft(planned)) throw new Error(renderProblems(planned.left))
  const plan = planned.right
  const critical = criticalPathMs(plan.steps)
  const run = await measure(env, plan, [], { secrets: SECRETS })

  return [
    `mitosis benchmark: create shop-new like shop-prod (2 instances, new master password, no changelog); ${plan.steps.length} steps`,
    `simulated AWS durations: create cluster ${min(AWS_DURATIONS.createCluster)}, create instance ${min(AWS_DURATIONS.createInstance)}; poll every ${POLL_MS / 1000} s`,
    '',
    row('makespan', min(run.makespanMs)),
    row('critical path', min(critical)),
    row('makespan / critical path', `${(run.makespanMs / critical).toFixed(3)}   target <= 1.05: ${check(run.makespanMs <= 1.05 * critical)}`),
    row('API calls', callsByAction(run.calls)),
  ]
}
