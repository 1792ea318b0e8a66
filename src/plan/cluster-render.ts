/**
 * A Mermaid picture of an Aurora clone: the source and target clusters with their instances
 * before, and as the cluster predictor says they will be after. (Text and JSON need nothing of
 * their own: renderText and renderJson print any plan.) Pure.
 */
import type { Environment } from './domain.js'
import type { Plan } from './operations.js'
import { initialClusterState, predictCluster, type ClusterState } from './cluster-predict.js'

const nodeId = (prefix: string, kind: 'c' | 'i', id: string): string => `${prefix}_${kind}_${id.replace(/[^a-zA-Z0-9]/g, '_')}`

const drawClusters = (prefix: string, state: ClusterState, ids: ReadonlyArray<string>): string[] => {
  const lines = [`  subgraph ${prefix}["${prefix}"]`, '    direction TB']
  for (const id of ids) {
    const c = state.clusters.get(id)
    if (c === undefined) continue
    const data = c.dataFrom === c.origin ? '' : `<br/>data of ${c.dataFrom}`
    lines.push(`    ${nodeId(prefix, 'c', id)}["${id}<br/>${c.engine} cluster${data}"]`)
    const members = [...state.instances.values()]
      .filter((i) => i.cluster === c.origin)
      .sort((a, b) => Number(b.writer) - Number(a.writer) || a.id.localeCompare(b.id))
    for (const m of members) {
      lines.push(`    ${nodeId(prefix, 'i', m.id)}["${m.id}<br/>${m.settings.DBInstanceClass ?? ''} ${m.writer ? 'writer' : 'reader'}"]`)
      lines.push(`    ${nodeId(prefix, 'c', id)} --> ${nodeId(prefix, 'i', m.id)}`)
    }
  }
  lines.push('  end')
  return lines
}

export const renderClusterMermaid = (env: Environment, plan: Plan): string => {
  const ids = [plan.source, plan.target]
  const { state } = predictCluster(env, plan)
  const lines = [
    'flowchart LR',
    ...drawClusters('before', initialClusterState(env), ids),
    ...drawClusters('after', state, ids),
    `  ${nodeId('before', 'c', plan.source)} -. "clone (${plan.steps.length} steps)" .-> ${nodeId('after', 'c', plan.target)}`,
  ]
  return `${lines.join('\n')}\n`
}
