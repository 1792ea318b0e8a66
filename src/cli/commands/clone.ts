import { Flags } from '@oclif/core'
import * as E from 'fp-ts/lib/Either.js'
import { plan, refusedAsProduction, renderPlanFailure } from '../../interpret/workflow.js'
import { connect } from '../wiring.js'
import { UserError } from '../errors.js'
import { applyFlags, debugFlag, outputFlags, productionFlag, worldFlags } from '../flags.js'
import { checkOutputFlags, MitosisCommand, showOrApply } from '../output.js'
import { passwordChoice, passwordFlags } from '../password.js'

export default class Clone extends MitosisCommand {
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
    ...outputFlags(['text', 'json', 'mermaid'], 'Same as --format json: one JSON document on stdout; when applying, JSON lines of events.'),
    restart: Flags.string({ summary: 'Shell command that restarts the application after the swap, before old- is deleted.', helpValue: 'CMD' }),
    'restore-snapshot': Flags.boolean({ summary: "Restore the source's latest snapshot instead of replicating from it (automatic across VPCs)." }),
    'final-snapshot': Flags.boolean({ summary: 'Aurora clusters only: keep a final snapshot of the old cluster when it is deleted.' }),
    ...passwordFlags(true),
    ...productionFlag,
    ...worldFlags,
    ...applyFlags,
    ...debugFlag,
  }

  public async run(): Promise<void> {
    const { flags } = await this.parse(Clone)
    checkOutputFlags(flags)
    const request = {
      source: flags.source,
      target: flags.target,
      restart: flags.restart,
      restoreSnapshot: flags['restore-snapshot'],
      finalSnapshot: flags['final-snapshot'],
      password: passwordChoice(flags),
      allowProductionTarget: flags['allow-production-target'],
    }
    const capabilities = await connect(flags)
    const planned = await plan(capabilities, { clone: request })()
    // a target tagged as production is refused with an exit code of its own
    if (E.isLeft(planned)) throw new UserError(renderPlanFailure(planned.left), refusedAsProduction(planned.left) ? 2 : 1)
    const { source, target, kind } = planned.right.plan
    if (kind === 'replica-tree' && flags['final-snapshot']) throw new UserError(`--final-snapshot applies to Aurora cluster clones only; ${source} and ${target} are DB instances`)
    if (kind === 'aurora-cluster' && flags['restore-snapshot']) {
      throw new UserError(`--restore-snapshot applies to DB instance clones only; ${source} and ${target} are Aurora clusters, cloned copy-on-write`)
    }
    await showOrApply(planned.right, capabilities, flags)
  }
}
