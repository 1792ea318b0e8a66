/**
 * The swap, written once for both kinds: once the copy is built (`built`), every target resource
 * steps aside to old-<name> and its copy takes the name, the application is restarted, and what was
 * renamed away is deleted. Pure: steps added to a StepList.
 *
 *   rename-old  each target resource is tagged as this run's, then renamed to old-
 *   rename-temp each temp- copy takes the real name as soon as it is free
 *   restart     the hook, then a tag saying it ran
 *   delete      the old- side, each after what is within it, deletion protection off first
 */
import { arnFor, type Environment } from '../domain.js'
import { oldName, tempName } from '../identifiers.js'
import { deleteCluster, deleteInstance, rename, tag, unprotect } from '../operations.js'
import { renamedTags, TAG_RESTARTED } from '../runs.js'
import type { StepList } from '../steps.js'
import { deletedInOrder, renamedInOrder, subjectRoot, type CloneSubject } from './subject.js'

export interface Swap {
  readonly env: Environment
  readonly run: string
  readonly subject: CloneSubject
  /** Shell command that restarts the application after the swap, before anything is deleted. */
  readonly restart: string | undefined
}

export const swapPhases = (list: StepList, swap: Swap, built: ReadonlyArray<number>): void => {
  const { env, run, subject } = swap
  const renamed = renamedInOrder(subject)

  // rename-old: tagged as this run's first, so that a re-run knows old-<name> as its own
  const renamedOld = new Map<string, number>()
  for (const r of renamed) {
    const marked = list.add(tag(r.id, arnFor(env, r.type, r.id), renamedTags(run, r.id)), 'rename-old', built)
    renamedOld.set(r.id, list.add(rename(r.type, r.id, oldName(r.id)), 'rename-old', [marked]))
  }

  // rename-temp: each name is taken back as soon as it is free
  const renamedIn = renamed.map((r) => list.add(rename(r.type, tempName(r.id), r.id), 'rename-temp', [renamedOld.get(r.id)!]))

  // restart: the application still holds connections to the old side (DNS was cached); the hook
  // leaves a tag behind, so that a re-run does not restart the application twice
  const root = subjectRoot(subject)
  const swapped =
    swap.restart === undefined
      ? renamedIn
      : [
          list.add(
            tag(root.id, arnFor(env, root.type, root.id), [{ Key: TAG_RESTARTED, Value: run }]),
            'restart',
            [list.add({ op: 'RunCommand', id: root.id, request: { Command: swap.restart } }, 'restart', renamedIn)],
          ),
        ]

  // delete: only what this plan renamed to old-, each after what is within it, siblings side by side
  const deleted = new Map<string, number>()
  for (const d of deletedInOrder(subject)) {
    const old = oldName(d.id)
    const unprotected = d.deletionProtection ? [list.add(unprotect(d.type, old), 'delete', swapped)] : swapped
    const step =
      d.type === 'db' ? deleteInstance(old) : deleteCluster(old, subject._tag === 'AuroraCluster' ? subject.finalSnapshot : undefined)
    deleted.set(d.id, list.add(step, 'delete', [...unprotected, ...d.within.map((w) => deleted.get(w)!)]))
  }
}
