/**
 * Benchmark (prints figures; asserts nothing): on the simulator with AWS's typical durations,
 *   - a clone into a DB-instance tree of a root with three replicas, one of which has its own replica;
 *   - an Aurora clone (fixtures/aurora.json: shop-prod into shop-staging);
 *   - a `mitosis create` of a new Aurora cluster like shop-prod;
 *   - the database artifact: its clone into a new cluster, and its build (twice: the same image ID).
 *
 *   npm run bench
 */
import { auroraClone, auroraCreate } from './aurora.js'
import { artifactBuild, newClusterClone } from './artifact.js'
import { instanceClone } from './instance.js'

const sections = [instanceClone, auroraClone, auroraCreate, newClusterClone, artifactBuild]
for (const [k, section] of sections.entries()) {
  if (k > 0) console.log('')
  for (const line of await section()) console.log(line)
}
