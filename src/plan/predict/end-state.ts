/**
 * The one check every plan passes before anyone sees it and again before a saved plan is applied: the
 * graph rules and RDS's along the way, then the end state a plan of its kind must reach (a replica tree:
 * the target tree's shape, names, settings and the source's data; an Aurora clone: the target cluster, its
 * members and writer; a create: it only creates). Pure.
 */
import type { Environment } from '../domain.js'
import type { Plan } from '../plan.js'
import { checkReplicaTreePlan } from '../predict.js'
import { checkClusterPlan } from '../cluster-predict.js'
import { checkCreatePlan } from '../create.js'

export const checkPlan = (env: Environment, plan: Plan): ReadonlyArray<string> => {
  switch (plan.kind) {
    case 'replica-tree':
      return checkReplicaTreePlan(env, plan)
    case 'aurora-cluster':
      return checkClusterPlan(env, plan)
    case 'create':
      return checkCreatePlan(env, plan)
  }
}
