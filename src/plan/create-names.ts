/**
 * The names a create takes, judged once: planCreate refuses a taken name up front, and the one check
 * (predict/end-state.ts) judges a saved create plan's names by the same rule before it is applied. Pure.
 */
import type { Environment } from './domain.js'
import { identifierProblem } from './identifiers.js'
import type { Problem } from './problems.js'
import { tagValue, TAG_RUN } from './runs.js'

/**
 * The names a create takes must be free, or be this run's own (a re-run): a problem for each that is
 * not. A taken cluster name says enough: its instances' names are taken with it. A subnet group is the
 * run's own by its mitosis:run tag (read with ListTagsForResource), as a cluster and an instance are.
 */
export const namesTaken = (env: Environment, run: string, clusterId: string, instanceIds: ReadonlyArray<string>, subnetGroups: ReadonlyArray<string> = []): Problem[] => {
  const problems: Problem[] = []
  const ours = (tags: ReadonlyArray<{ Key: string; Value: string }> | undefined) => tagValue(tags, TAG_RUN) === run
  const existing = (env.clusters ?? []).find((c) => c.DBClusterIdentifier === clusterId)
  if (existing !== undefined && !ours(existing.TagList)) return [{ _tag: 'TargetTaken', id: clusterId, what: `a DB cluster, ${existing.Status}` }]
  for (const name of subnetGroups) {
    const g = (env.subnetGroups ?? []).find((x) => x.DBSubnetGroupName.toLowerCase() === name.toLowerCase())
    if (g !== undefined && !ours(g.TagList)) problems.push({ _tag: 'TargetTaken', id: name, what: 'a DB subnet group' })
  }
  for (const name of [clusterId, ...instanceIds]) {
    const problem = identifierProblem(name)
    if (problem !== undefined && name !== clusterId) problems.push({ _tag: 'NameTooLong', id: name, problem })
    const i = env.instances.find((x) => x.DBInstanceIdentifier === name)
    if (i !== undefined && !ours(env.tags[name] ?? i.TagList)) problems.push({ _tag: 'TargetTaken', id: name, what: `a DB instance, ${i.DBInstanceStatus}` })
  }
  return problems
}
