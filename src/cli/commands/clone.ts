import { Command, Flags } from '@oclif/core'
import * as E from 'fp-ts/lib/Either.js'
import { planFromWorld, refusedAsProduction, renderPlanFailure } from '../../interpret/plan.js'
import { iamPolicy } from '../../plan/iam.js'
import { planProgress } from '../../plan/progress.js'
import { renderJson, renderText } from '../../plan/render/text.js'
import { renderMermaid } from '../../plan/render/mermaid.js'
import { applyFlow, savePlan, sayNotes } from '../apply-flow.js'
import { connect } from '../connect.js'
import { UserError } from '../errors.js'
import { applyFlags, debugFlag, productionFlag, worldFlags } from '../flags.js'
import { checkPasswordConfirmation, passwordChoice, passwordFlags, readPasswordSecrets } from '../password.js'
import { passwordEngine } from '../../plan/passwords.js'

export default class Clone extends Command {
  static override summary = 'Clone a source RDS instance into the place of a target replica tree (the default command); Aurora clusters too.'

  static override description = `Builds temp- copies of the target tree from the source's data with the target's settings, renames the target tree to old-, renames the copies into place, runs the restart hook, and deletes old-. Every run is first a plan: --plan prints it and changes nothing; it ends with the list of what will be deleted, which is the last thing shown before Apply? [y/N].

A target is refused (exit 2, nothing sent) when it, one of its replicas, or for an Aurora cluster one of its instances is tagged environment, env or stage = prod or production (any case): swapping --source and --target would otherwise delete production. --allow-production-target overrides.

When --source and --target name Aurora DB clusters, the plan is a copy-on-write clone of the source cluster with the target's settings and instances, swapped in by the same renames. Aurora plans are reviewed (--plan, --format, --iam-policy), saved with --out for mitosis apply FILE, and applied as instance plans are (to AWS, or to the simulator with --simulate).

A clone starts with the source's master password. --db-password-stdin or --db-password-file sets a new one (ModifyDBInstance on the copy of the root, whose replicas follow it, or ModifyDBCluster on an Aurora clone) before the copy takes the target's name; the plan holds only the password's name, never the password. --manage-master-password has RDS make one and keep it in Secrets Manager instead.

Credentials, region and endpoint come from the standard AWS chain (environment, ~/.aws/config and credentials, SSO, instance roles; AWS_ENDPOINT_URL for emulators), as for the AWS CLI. --simulate reads a describe-style JSON file instead of AWS.`

  static override examples = [
    {
      description: 'Show the plan for the stack-mitosis demo on the embedded simulator (no AWS account needed)',
      command: '<%= config.bin %> --simulate fixtures/demo.json --source mitosis-prod --target mitosis-demo --plan',
    },
    { description: 'The plan as JSON, for review tools', command: '<%= config.bin %> --source mitosis-prod --target mitosis-demo --plan --json' },
    { description: 'The trees before and after, as a Mermaid flowchart', command: '<%= config.bin %> --source mitosis-prod --target mitosis-demo --plan --format mermaid' },
    { description: 'The least-privilege IAM policy for this clone', command: '<%= config.bin %> --source mitosis-prod --target mitosis-demo --iam-policy --profile prod-admin' },
    { description: 'The plan for an Aurora cluster clone', command: '<%= config.bin %> --simulate fixtures/aurora.json --source shop-prod --target shop-staging --plan' },
    { description: 'An Aurora cluster clone applied on the simulator', command: '<%= config.bin %> --simulate fixtures/aurora.json --source shop-prod --target shop-staging --yes' },
    { description: 'An Aurora clone with a new master password, read from a file', command: '<%= config.bin %> --source shop-prod --target shop-staging --db-password-file staging-password.txt' },
  ]

  static override flags = {
    source: Flags.string({ summary: 'Identifier of the DB instance (or Aurora DB cluster) whose data is cloned (never modified).', required: true, helpValue: 'ID' }),
    target: Flags.string({ summary: 'Identifier of the root of the replica tree (or the Aurora DB cluster) to replace.', required: true, helpValue: 'ID' }),
    plan: Flags.boolean({ summary: 'Print the plan and change nothing.' }),
    out: Flags.string({ summary: 'With --plan: also save the plan, with what it was made from, for `mitosis apply FILE`.', helpValue: 'FILE', dependsOn: ['plan'] }),
    format: Flags.string({ summary: 'How --plan prints the plan.', options: ['text', 'json', 'mermaid'], default: 'text' }),
    json: Flags.boolean({ summary: 'Same as --format json: one JSON document on stdout; when applying, JSON lines of events.' }),
    restart: Flags.string({ summary: 'Shell command that restarts the application after the swap, before old- is deleted.', helpValue: 'CMD' }),
    'restore-snapshot': Flags.boolean({ summary: "Restore the source's latest snapshot instead of replicating from it (automatic across VPCs)." }),
    'final-snapshot': Flags.boolean({ summary: 'Aurora clusters only: keep a final snapshot of the old cluster when it is deleted.' }),
    ...passwordFlags(true),
    'iam-policy': Flags.boolean({ summary: 'Print the least-privilege IAM policy the plan needs, as JSON.' }),
    ...productionFlag,
    ...worldFlags,
    ...applyFlags,
    ...debugFlag,
  }


  public async run(): Promise<void> {
    const { flags } = await this.parse(Clone)
    if (flags.json && flags.format !== 'text' && flags.format !== 'json') {
      throw new UserError(`--json and --format ${flags.format} ask for two different outputs; choose one`)
    }
    const password = passwordChoice(flags)
    checkPasswordConfirmation(flags, !flags.plan && !flags['iam-policy'])
    const connected = await connect(flags)
    const request = {
      source: flags.source,
      target: flags.target,
      restart: flags.restart,
      restoreSnapshot: flags['restore-snapshot'],
      finalSnapshot: flags['final-snapshot'],
      password,
      allowProductionTarget: flags['allow-production-target'],
    }
    const planned = await planFromWorld(connected.port, request)()
    // a target tagged as production is refused with an exit code of its own
    if (E.isLeft(planned)) throw new UserError(renderPlanFailure(planned.left), refusedAsProduction(planned.left) ? 2 : 1)
    const { environment, plan, kind } = planned.right
    if (kind === 'instance' && flags['final-snapshot']) {
      throw new UserError(`--final-snapshot applies to Aurora cluster clones only; ${plan.source} and ${plan.target} are DB instances`)
    }
    if (kind === 'cluster' && flags['restore-snapshot']) {
      throw new UserError(`--restore-snapshot applies to DB instance clones only; ${plan.source} and ${plan.target} are Aurora clusters, cloned copy-on-write`)
    }
    sayNotes(environment)
    if (flags['iam-policy']) {
      this.log(JSON.stringify(iamPolicy(environment, plan), null, 2))
      return
    }
    const format = flags.json ? 'json' : flags.format
    if (flags.plan) {
      const saved = flags.out === undefined ? undefined : savePlan(flags.out, plan, environment)
      const out = format === 'json' ? renderJson(plan) : format === 'mermaid' ? renderMermaid(environment, plan) : renderText(plan, planProgress(environment, plan))
      process.stdout.write(out)
      if (saved !== undefined && format === 'text') process.stdout.write(`\n${saved}`)
      return
    }
    if (format === 'mermaid') throw new UserError('--format mermaid only describes a plan: add --plan')
    // the password: read only now, from stdin or a file, and handed to the interpreter alone
    const secrets = await readPasswordSecrets(flags, passwordEngine(environment, plan))
    await applyFlow(plan, environment, connected, { ...flags, json: flags.json }, secrets === undefined ? {} : { secrets })
  }
}
