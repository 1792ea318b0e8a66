/**
 * The database artifact: the clone into a new cluster its INI plans when the target does not exist
 * (fixtures/aurora.json's shop-prod into a new shop-qa, two instances, a new master password), run on
 * the simulator; and the build itself, twice (the bundle, the layers, the image ID), from a tiny base.
 */
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { buildArtifact } from '../src/artifact/build.js'
import { decodeArtifactConfig } from '../src/artifact/config.js'
import { subnetZonesFromGroups } from '../src/artifact/resolve.js'
import { size } from '../src/artifact/image/progress.js'
import { decode, environmentFromFile, EnvironmentFile, type Environment } from '../src/plan/domain.js'
import { criticalPathMs } from '../src/plan/critical-path.js'
import { MASTER_PASSWORD_SECRET } from '../src/plan/operations.js'
import { planNewClusterClone } from '../src/plan/clone/new-cluster.js'
import { renderProblems } from '../src/plan/problems.js'
import { AWS_DURATIONS } from '../src/plan/rds-facts.js'
import { simulate } from '../src/sim/simulator.js'
import { auroraWithSubnets, writeBases } from '../test/artifact/image-support.js'
import { callsByAction, check, measure, min, POLL_MS, row } from './measure.js'

const SECRETS = { [MASTER_PASSWORD_SECRET]: 'Bench-Only-Password-42' }
const root = fileURLToPath(new URL('../../', import.meta.url))

/** fixtures/aurora.json with the source's subnet group described (the build resolves `subnet_ids = source` through it). */
const environment = (): Environment => {
  const file = decode(EnvironmentFile)(auroraWithSubnets(['us-east-1a', 'us-east-1b', 'us-east-1c']))
  if (E.isLeft(file)) throw new Error(file.left)
  return environmentFromFile(file.right)
}

export const newClusterClone = async (): Promise<ReadonlyArray<string>> => {
  const env = environment()
  const planned = planNewClusterClone(env, { source: 'shop-prod', target: 'shop-qa', subnets: { group: env.subnetGroups![0]!.DBSubnetGroupName }, instanceClass: 'db.r6g.large', instanceCount: 2, deletionProtection: false, tags: [], password: 'secret' })
  if (E.isLeft(planned)) throw new Error(renderProblems(planned.left))
  const plan = planned.right
  const critical = criticalPathMs(plan.steps)
  const run = await measure(env, plan, [], { secrets: SECRETS })
  return [
    `mitosis benchmark: artifact clone of shop-prod into a new cluster shop-qa (2 instances, new master password); ${plan.steps.length} steps`,
    `simulated AWS durations: cluster restore ${min(AWS_DURATIONS.clusterRestore)}, create instance ${min(AWS_DURATIONS.createInstance)}, password reset ${min(AWS_DURATIONS.resetMasterCredentials)}, add role ${min(AWS_DURATIONS.addRole)}; poll every ${POLL_MS / 1000} s`,
    '',
    row('makespan', min(run.makespanMs)),
    row('critical path', min(critical)),
    // a chain of short steps, each of which needs the cluster available: each is seen done at the next poll
    row('makespan / critical path', (run.makespanMs / critical).toFixed(3)),
    row('waiting beyond the work', `${min(run.makespanMs - critical)}   bound (a poll per step of the chain, ${plan.steps.length}) ${min(plan.steps.length * POLL_MS)}: ${check(run.makespanMs - critical <= plan.steps.length * POLL_MS)}`),
    row('API calls', callsByAction(run.calls)),
  ]
}

const INI = ['[source_db]', 'source_db_cluster_id = shop-prod', '', '[target_db]', 'target_db_cluster_id = shop-qa', 'subnet_ids = source', 'instance_type = db.r6g.large', 'instance_count = 2', ''].join('\n')

export const artifactBuild = async (): Promise<ReadonlyArray<string>> => {
  const config = decodeArtifactConfig(INI, 'bench.ini')
  if (E.isLeft(config)) throw new Error('bench.ini does not decode')
  const bases = writeBases()
  const build = async () => {
    const sim = simulate(environment())
    const t0 = performance.now()
    const built = await buildArtifact({
      caps: { rds: sim },
      input: { _tag: 'config', config: config.right, configText: INI },
      entry: `${root}dist/src/artifact/entry/main.js`,
      baseImage: bases.ociDir,
      engine: 'docker',
      epoch: 1,
      root,
      zonesFor: (rds, group) => subnetZonesFromGroups(rds, group === undefined ? [] : [group]),
    })()
    if (E.isLeft(built)) throw new Error(built.left)
    return { ms: performance.now() - t0, built: built.right }
  }
  const first = await build()
  const second = await build()
  rmSync(dirname(bases.ociDir), { recursive: true, force: true })
  const ours = first.built.image.layers.slice(-2)
  return [
    'mitosis benchmark: artifact build from an INI on the simulator (plan, bundle the interpreter, two layers), twice',
    '',
    row('build time', `${first.ms.toFixed(0)} ms, then ${second.ms.toFixed(0)} ms`),
    row('layers added', ours.map((l, i) => `${['program', 'plans'][i]} ${size(l.size)}`).join(', ')),
    row('image ID', `${first.built.image.configDigest.slice(0, 19)}…   same both times: ${check(first.built.image.configDigest === second.built.image.configDigest)}`),
  ]
}
