import { readFileSync } from 'node:fs'
import { Args, Command, Flags } from '@oclif/core'
import * as E from 'fp-ts/lib/Either.js'
import { observeEnvironment, observeSubnetGroups } from '../../interpret/observe.js'
import { renderRdsError } from '../../interpret/port.js'
import { basisOf, PlanFile, staleness } from '../../plan/plan.js'
import { clusterRunInProgress } from '../../plan/cluster-runs.js'
import { decode } from '../../plan/domain.js'
import { renderProblem } from '../../plan/errors.js'
import { productionPlanTarget } from '../../plan/production.js'
import { checkPlan } from '../../plan/predict/end-state.js'
import { runInProgress } from '../../plan/runs.js'
import { secretsNamed } from '../../interpret/secrets.js'
import { applyFlow, sayNotes } from '../apply-flow.js'
import { connect } from '../connect.js'
import { UserError } from '../errors.js'
import { applyFlags, debugFlag, productionFlag, worldFlags } from '../flags.js'
import { checkPasswordConfirmation, passwordChoice, passwordFlags, readPasswordSecrets } from '../password.js'
import { passwordEngine } from '../../plan/passwords.js'

export default class Apply extends Command {
  static override summary = 'Apply a plan saved with --plan --out (by a clone or by create), exactly as it was shown.'

  static override description = `Refuses when the world has changed since the plan was made (plan is stale: …, naming what changed). Re-running after an interruption resumes: what is done is skipped.

A plan whose target is tagged as production (environment, env or stage = prod or production, any case) is refused with exit 2, as the clone that made it was, unless --allow-production-target is given here too.

A plan that sets a master password (made with --db-password-stdin or --db-password-file) holds only the password's name: give the password again here, the same way.`

  static override examples = [
    { description: 'Save a plan, review it, apply it', command: '<%= config.bin %> --source mitosis-prod --target mitosis-demo --plan --out plan.json\n<%= config.bin %> apply plan.json' },
  ]

  static override args = {
    file: Args.string({ description: 'The plan file written by --plan --out.', required: true }),
  }

  static override flags = {
    json: Flags.boolean({ summary: 'JSON lines of events instead of text.' }),
    ...passwordFlags(false),
    ...productionFlag,
    ...worldFlags,
    ...applyFlags,
    ...debugFlag,
  }

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply)
    checkPasswordConfirmation(flags, true)
    let text: string
    try {
      text = readFileSync(args.file, 'utf8')
    } catch (e) {
      throw new UserError(`${args.file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      throw new UserError(`${args.file}: not JSON: ${(e as Error).message}`)
    }
    const file = decode(PlanFile)(json)
    if (E.isLeft(file)) throw new UserError(`${args.file}: not a mitosis plan: ${file.left}`)
    const { plan, basis } = file.right
    // a password given for a plan that sets none would be silently dropped: say so instead
    if (passwordChoice(flags) !== undefined && !plan.steps.some((s) => secretsNamed(s).length > 0)) {
      throw new UserError(`${args.file} sets no master password (it was planned without --db-password-stdin or --db-password-file); drop the password flag or make a new plan with it`)
    }
    const cluster = plan.kind !== 'replica-tree'
    const connected = await connect(flags)
    if (connected.port.region !== plan.region) throw new UserError(`${args.file} was planned in ${plan.region}, but this would run in ${connected.port.region}`)
    const request = { source: plan.source, target: plan.target, restoreSnapshot: plan.steps.some((s) => s.op === 'RestoreDBInstanceFromDBSnapshot') }
    const observed = await observeEnvironment(connected.port, request)()
    if (E.isLeft(observed)) throw new UserError(renderRdsError(observed.left))
    sayNotes(observed.right)
    // a create plan's subnet group: free, or this run's own (its tags say)
    const groups = plan.steps.flatMap((s) => (s.op === 'CreateDBSubnetGroup' ? [s.id] : []))
    const subnetGroups = groups.length === 0 ? undefined : await observeSubnetGroups(connected.port, groups)()
    if (subnetGroups !== undefined && E.isLeft(subnetGroups)) throw new UserError(renderRdsError(subnetGroups.left))
    const environment = subnetGroups === undefined ? observed.right : { ...observed.right, subnetGroups: subnetGroups.right }
    // the world as the plan was made on it (before its run, when one is under way), as the planners see it
    const before = plan.kind === 'create'
      ? environment
      : ((cluster ? clusterRunInProgress : runInProgress)(environment, plan.source, plan.target)?.original ?? environment)
    // a production target is refused as the planner refused it (a create makes a new cluster: nothing to judge)
    const production = plan.kind === 'create' || flags['allow-production-target'] ? undefined : productionPlanTarget(before, plan.target, cluster ? 'cluster' : 'instance')
    if (production !== undefined) throw new UserError(`${args.file}: ${renderProblem(production)}`, 2)
    const changes = staleness(basis, basisOf(environment, plan))
    if (changes.length > 0) throw new UserError(`plan is stale: ${changes.join('; ')}; make a new plan`)
    // the file is checked as a fresh plan is: a hand-edited plan must still be safe
    const violations = checkPlan(before, plan)
    if (violations.length > 0) throw new UserError(`${args.file}: the plan failed its safety check: ${violations.join('; ')}`)
    // a plan that sets a master password names it only: the password comes from stdin or a file, now
    const secrets = await readPasswordSecrets(flags, passwordEngine(environment, plan))
    await applyFlow(plan, environment, connected, { ...flags, json: flags.json }, secrets === undefined ? {} : { secrets })
  }
}
