/**
 * The graph rules of every plan: what must wait for what, whatever order a concurrent run picks. Steps are
 * numbered in order and wait only for earlier ones; a step waits for every earlier one that creates, renames
 * or deletes a name it uses; a cluster's later instances wait for its writer; deletes wait for the restart
 * and the renames, a cluster's delete for its instances'; a rename waits for the new password of what it
 * renames; the old tree or cluster steps aside only once the new one is complete. Pure.
 */
import { renamesAfterPassword, resourceKey, resourcesChanged, resourcesUsed } from '../operations.js'
import type { Plan, Step } from '../plan.js'

export const checkGraph = (plan: Plan): string[] => {
  const whole = plan.kind === 'replica-tree' ? 'tree' : 'cluster'
  const v: string[] = []
  const ancestors = new Map<number, Set<number>>()
  plan.steps.forEach((s, i) => {
    if (s.n !== i + 1) v.push(`step ${i + 1} is numbered ${s.n}`)
    const all = new Set<number>()
    for (const a of s.after) {
      if (!(a < s.n) || !ancestors.has(a)) v.push(`step ${s.n}: waits for step ${a}, which does not come before it`)
      all.add(a)
      for (const x of ancestors.get(a) ?? []) all.add(x)
    }
    ancestors.set(s.n, all)
  })
  const waitsFor = (later: Step, earlier: Step) => ancestors.get(later.n)?.has(earlier.n) === true
  const firstCreate = new Map<string, Step>()
  for (const later of plan.steps) {
    if (later.op === 'CreateDBInstance') {
      const first = firstCreate.get(later.request.DBClusterIdentifier)
      if (first === undefined) firstCreate.set(later.request.DBClusterIdentifier, later)
      else if (!waitsFor(later, first)) v.push(`step ${later.n} creates ${later.id} without waiting for the writer ${first.id} (step ${first.n})`)
    }
    for (const earlier of plan.steps) {
      if (earlier.n >= later.n) break
      const changed = resourcesChanged(earlier).map(resourceKey)
      if (resourcesUsed(later).some((r) => changed.includes(resourceKey(r))) && !waitsFor(later, earlier)) {
        v.push(`step ${later.n} (${later.op} ${later.id}) does not wait for step ${earlier.n}, which creates, renames or deletes a name it uses`)
      }
      const deletes = later.op === 'DeleteDBInstance' || later.op === 'DeleteDBCluster'
      if (deletes && (earlier.op === 'RunCommand' || earlier.phase === 'rename-temp') && !waitsFor(later, earlier)) {
        v.push(`step ${later.n} deletes ${later.id} without waiting for step ${earlier.n} (${earlier.phase})`)
      }
      if (later.op === 'DeleteDBCluster' && earlier.op === 'DeleteDBInstance' && !waitsFor(later, earlier)) {
        v.push(`step ${later.n} deletes the cluster ${later.id} without waiting for step ${earlier.n}, which deletes its instance ${earlier.id}`)
      }
      // a copy with the source's password must not take a target name before it has its own
      if (renamesAfterPassword(earlier, later) && !waitsFor(later, earlier)) {
        v.push(`step ${later.n} renames ${later.id} without waiting for step ${earlier.n}, which gives it its new master password`)
      }
      if (earlier.phase === 'copy' && later.phase === 'rename-old' && !waitsFor(later, earlier)) {
        v.push(`step ${later.n} renames ${later.id} away before the new ${whole} is complete (step ${earlier.n})`)
      }
    }
  }
  return v
}
