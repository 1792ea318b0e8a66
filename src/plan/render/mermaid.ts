/**
 * A Mermaid picture of a plan: the source and the target before, and as the predictor says they will be
 * after, with the clone as an arrow between them. A replica tree is drawn as its instances linked by
 * replication; an Aurora cluster (or a new one) as the cluster with its writer and readers. Pure.
 */
import type { Environment } from '../domain.js'
import { breadthFirst, replicaForest, replicaTree } from '../forest.js'
import type { Plan } from '../plan.js'
import { initialState, type PredictedInstance, type PredictedWorld } from '../predict/state.js'
import { predict } from '../predict/step.js'

/** A node of the picture: its Mermaid id (no dashes), its label, and the node it hangs from. */
interface Drawn {
  readonly node: string
  readonly label: string
  readonly parent?: string
}

const safe = (id: string): string => id.replace(/[^a-zA-Z0-9]/g, '_')

/** One subgraph: every node, then every link (a tree's) or each node's link after it (a cluster's). */
const subgraph = (prefix: string, lines: ReadonlyArray<string>): string[] => [`  subgraph ${prefix}["${prefix}"]`, '    direction TB', ...lines, '  end']

const nodesThenLinks = (nodes: ReadonlyArray<Drawn>): string[] => [
  ...nodes.map((n) => `    ${n.node}["${n.label}"]`),
  ...nodes.flatMap((n) => (n.parent === undefined ? [] : [`    ${n.parent} --> ${n.node}`])),
]

// a replica tree: instances by replication, breadth first before, depth first after (as the predictor links them)

const treeNode = (prefix: string, id: string): string => `${prefix}_${safe(id)}`

const treeBefore = (env: Environment, plan: Plan): Drawn[] => {
  const forest = replicaForest(env.instances)
  const treeOf = (root: string) => {
    const tree = replicaTree(forest, root)
    return tree === undefined ? [] : breadthFirst(tree)
  }
  return [...treeOf(plan.source), ...treeOf(plan.target)].map((n) => ({
    node: treeNode('before', n.instance.DBInstanceIdentifier),
    label: `${n.instance.DBInstanceIdentifier}<br/>${n.instance.DBInstanceClass}`,
    ...(n.parent === undefined ? {} : { parent: treeNode('before', n.parent) }),
  }))
}

const treeAfter = (env: Environment, plan: Plan): Drawn[] => {
  const { state } = predict(env, plan)
  const out: Drawn[] = []
  const visit = (i: PredictedInstance) => {
    const data = i.dataFrom === i.id ? '' : `<br/>data of ${i.dataFrom}`
    out.push({
      node: treeNode('after', i.id),
      label: `${i.id}<br/>${i.settings.DBInstanceClass ?? ''}${data}`,
      ...(i.replicaSource === undefined ? {} : { parent: treeNode('after', i.replicaSource) }),
    })
    for (const r of [...state.instances.values()].filter((x) => x.replicaSource === i.id).sort((a, b) => a.id.localeCompare(b.id))) visit(r)
  }
  for (const root of [plan.source, plan.target]) {
    const i = state.instances.get(root)
    if (i !== undefined) visit(i)
  }
  return out
}

// an Aurora cluster: the cluster, then its writer and its readers by name, each linked as it is drawn

const clusterNode = (prefix: string, kind: 'c' | 'i', id: string): string => `${prefix}_${kind}_${safe(id)}`

const clusterLines = (prefix: string, state: PredictedWorld, ids: ReadonlyArray<string>): string[] =>
  ids.flatMap((id) => {
    const c = state.clusters.get(id)
    if (c === undefined) return []
    const data = c.dataFrom === c.origin ? '' : `<br/>data of ${c.dataFrom}`
    const members = [...state.instances.values()]
      .filter((i) => i.cluster === c.origin)
      .sort((a, b) => Number(b.writer) - Number(a.writer) || a.id.localeCompare(b.id))
    return [
      `    ${clusterNode(prefix, 'c', id)}["${id}<br/>${c.engine} cluster${data}"]`,
      ...members.flatMap((m) => [
        `    ${clusterNode(prefix, 'i', m.id)}["${m.id}<br/>${m.settings.DBInstanceClass ?? ''} ${m.writer ? 'writer' : 'reader'}"]`,
        `    ${clusterNode(prefix, 'c', id)} --> ${clusterNode(prefix, 'i', m.id)}`,
      ]),
    ]
  })

/** The picture's parts for a plan's kind: the before and after subgraphs' lines and the two ends of the clone arrow. */
const parts = (env: Environment, plan: Plan): { before: string[]; after: string[]; from: string; to: string } => {
  switch (plan.kind) {
    case 'replica-tree':
      return {
        before: nodesThenLinks(treeBefore(env, plan)),
        after: nodesThenLinks(treeAfter(env, plan)),
        from: treeNode('before', plan.source),
        to: treeNode('after', plan.target),
      }
    case 'aurora-cluster':
    case 'new-cluster':
    case 'create': {
      const ids = [plan.source, plan.target]
      return {
        before: clusterLines('before', initialState(env), ids),
        after: clusterLines('after', predict(env, plan).state, ids),
        from: clusterNode('before', 'c', plan.source),
        to: clusterNode('after', 'c', plan.target),
      }
    }
  }
}

export const renderMermaid = (env: Environment, plan: Plan): string => {
  const p = parts(env, plan)
  const lines = [
    'flowchart LR',
    ...subgraph('before', p.before),
    ...subgraph('after', p.after),
    `  ${p.from} -. "clone (${plan.steps.length} steps)" .-> ${p.to}`,
  ]
  return `${lines.join('\n')}\n`
}
